/** One icon per node type (lucide), used by the node cards and the palette. */
import {
  AppWindow,
  CircleStop,
  Clock,
  Flag,
  GitBranch,
  Hourglass,
  type LucideIcon,
  Mail,
  MessageCircle,
  MessagesSquare,
  Puzzle,
  Split,
  UserPen,
  Webhook,
  Zap,
} from "lucide-react";

const ICONS: Record<string, LucideIcon> = {
  trigger: Zap,
  wait: Clock,
  wait_for_event: Hourglass,
  condition: GitBranch,
  split: Split,
  send_email: Mail,
  send_chat: MessageCircle,
  send_popup: AppWindow,
  webhook: Webhook,
  update_contact: UserPen,
  update_conversation: MessagesSquare,
  goal: Flag,
  exit: CircleStop,
};

export function NodeIcon({ type, size = 16 }: { type: string; size?: number }) {
  const Icon = ICONS[type] ?? Puzzle;
  return <Icon size={size} strokeWidth={2.2} aria-hidden />;
}
