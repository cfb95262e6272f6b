/** What the "Send to a segment" dialog says: whether a flow can take a broadcast, the confirmation, its progress and
 * its result, in sentences. */
import type { Broadcast, Config, FlowStatus } from "../api";
import { describeDuration } from "../forms/duration";
import { formatNumber } from "./localeFormat";

/** True when the map has a trigger that starts on `manual`, where a broadcast enters its contacts. */
export function sendsByHand(nodes: { type?: string; data: Config }[]): boolean {
  return nodes.some((node) => node.type === "trigger" && node.data.on === "manual");
}

/** True when a published document has a trigger that starts on `manual` (sendsByHand for a document's nodes). */
export function documentSendsByHand(document: { nodes: { type: string; config?: Config }[] }): boolean {
  return sendsByHand(document.nodes.map((node) => ({ type: node.type, data: node.config ?? {} })));
}

/** What the dialog opened from a segment says when no flow can take the segment's contacts. */
export const NO_MANUAL_FLOW = "No live flow starts by hand: publish a flow whose trigger starts on 'manual', then send this segment to it.";

/** Why a flow in this status cannot take a broadcast; null when it can (it is live). */
export function whyNoBroadcast(status: FlowStatus): string | null {
  switch (status) {
    case "live":
      return null;
    case "draft":
      return "Publish the flow first: only a live flow takes contacts.";
    case "paused":
      return "The flow is paused: resume it to send to a segment.";
    case "archived":
      return "The flow is archived: it takes no more contacts.";
  }
}

/** "1 contact", "1,240 contacts". */
export function contacts(count: number): string {
  return `${formatNumber(count)} contact${count === 1 ? "" : "s"}`;
}

/** Who the flow's re-entry rule (its `settings.reentry`: once, after_exit by default, or always) keeps out. */
export function reentryNote(settings: Config | undefined): string {
  const reentry = (settings?.reentry ?? {}) as { mode?: string; cooldown?: string };
  const cooldown = reentry.cooldown ? describeDuration(reentry.cooldown) : null;
  switch (reentry.mode ?? "after_exit") {
    case "once":
      return "Contacts who have been in the flow before are kept out: its re-entry rule lets each contact in once.";
    case "always":
      return cooldown
        ? `Contacts who entered the flow less than ${cooldown} ago are kept out by its re-entry rule.`
        : "Its re-entry rule lets contacts already in the flow enter it again.";
    default:
      return cooldown
        ? `Contacts already in the flow, or who left it less than ${cooldown} ago, are kept out by its re-entry rule.`
        : "Contacts already in the flow are kept out by its re-entry rule.";
  }
}

/** The question asked before sending: "Send 'Webinar invite' to 240 contacts in 'Pro plan'?" */
export function confirmation(flowName: string, segment: { name: string; count: number }): string {
  if (segment.count === 0) return `'${segment.name}' has no contacts now: there is nobody to send '${flowName}' to.`;
  return `Send '${flowName}' to ${contacts(segment.count)} in '${segment.name}'?`;
}

/** How far a broadcast has got: the contacts checked of those to check, and how many were enrolled. */
export function progressNote(broadcast: Broadcast): string {
  if (broadcast.status === "queued") return `Queued: ${contacts(broadcast.to_scan)} to check, waiting for a worker…`;
  const soFar = broadcast.status === "running" ? " so far" : "";
  return `Checked ${formatNumber(broadcast.scanned)} of ${contacts(broadcast.to_scan)}: ${formatNumber(broadcast.enrolled)} enrolled${soFar}.`;
}

/** True once a broadcast's jobs have stopped, done or failed. */
export function finished(broadcast: Broadcast): boolean {
  return broadcast.status === "done" || broadcast.status === "failed";
}

/** What a finished broadcast did, or why it stopped. */
export function outcome(broadcast: Broadcast): string {
  const keptOut = broadcast.kept_out ? `, ${contacts(broadcast.kept_out)} kept out by the re-entry rule` : "";
  if (broadcast.status === "failed") {
    return `Failed: ${broadcast.error ?? "no reason was recorded"}. ${contacts(broadcast.enrolled)} enrolled before it stopped${keptOut}.`;
  }
  if (broadcast.audience === 0) return "Done: no contact was in the audience, so no one was enrolled.";
  return `Done: ${contacts(broadcast.enrolled)} enrolled${keptOut}.`;
}

/** Whom a broadcast was for: its segment, or the contacts chosen by id. */
export function audienceName(broadcast: Broadcast): string {
  if (broadcast.chosen !== null) return `${contacts(broadcast.chosen)} chosen by id`;
  return broadcast.segment_name ? `'${broadcast.segment_name}'` : "a deleted segment";
}
