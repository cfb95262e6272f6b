/** The React Flow node types, one component per document node type (kept at module scope so React Flow never remounts). */
import type { NodeTypes } from "@xyflow/react";

import { ConditionNode } from "./ConditionNode";
import { ExitNode } from "./ExitNode";
import { GoalNode } from "./GoalNode";
import { SendChatNode } from "./SendChatNode";
import { SendEmailNode } from "./SendEmailNode";
import { SendPopupNode } from "./SendPopupNode";
import { SplitNode } from "./SplitNode";
import { TriggerNode } from "./TriggerNode";
import { UpdateContactNode } from "./UpdateContactNode";
import { UpdateConversationNode } from "./UpdateConversationNode";
import { WaitForEventNode } from "./WaitForEventNode";
import { WaitNode } from "./WaitNode";
import { WebhookNode } from "./WebhookNode";

export const nodeTypes: NodeTypes = {
  trigger: TriggerNode,
  wait: WaitNode,
  wait_for_event: WaitForEventNode,
  condition: ConditionNode,
  split: SplitNode,
  send_email: SendEmailNode,
  send_chat: SendChatNode,
  send_popup: SendPopupNode,
  webhook: WebhookNode,
  update_contact: UpdateContactNode,
  update_conversation: UpdateConversationNode,
  goal: GoalNode,
  exit: ExitNode,
};
