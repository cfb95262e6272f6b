import { describe, expect, it } from "vitest";

import type { Broadcast } from "../api";
import {
  audienceName,
  confirmation,
  documentSendsByHand,
  finished,
  outcome,
  progressNote,
  reentryNote,
  sendsByHand,
  whyNoBroadcast,
} from "./broadcast";

function broadcast(fields: Partial<Broadcast>): Broadcast {
  return {
    id: 7, flow_id: 3, segment_id: 2, segment_name: "Pro plan", chosen: null, status: "running", to_scan: 120,
    scanned: 50, progress: 50 / 120, audience: 30, enrolled: 28, kept_out: 2, error: null,
    created_at: "2026-03-02T10:00:00Z", ...fields,
  };
}

describe("whether a flow takes a broadcast", () => {
  it("needs a trigger that starts on manual", () => {
    expect(sendsByHand([{ type: "trigger", data: { on: "manual" } }, { type: "exit", data: {} }])).toBe(true);
    expect(sendsByHand([{ type: "trigger", data: { on: "event", event: "signed_up" } }])).toBe(false);
    expect(sendsByHand([{ type: "send_email", data: { on: "manual" } }])).toBe(false);
  });

  it("reads a published document's triggers the same way", () => {
    expect(documentSendsByHand({ nodes: [{ type: "trigger", config: { on: "manual" } }, { type: "exit" }] })).toBe(true);
    expect(documentSendsByHand({ nodes: [{ type: "trigger", config: { on: "segment_entered", segment: 2 } }, { type: "trigger" }] })).toBe(false);
  });

  it("says why a flow that is not live cannot take one", () => {
    expect(whyNoBroadcast("live")).toBeNull();
    expect(whyNoBroadcast("draft")).toBe("Publish the flow first: only a live flow takes contacts.");
    expect(whyNoBroadcast("paused")).toBe("The flow is paused: resume it to send to a segment.");
    expect(whyNoBroadcast("archived")).toBe("The flow is archived: it takes no more contacts.");
  });
});

describe("the confirmation", () => {
  it("names the flow, the segment and how many contacts are in it", () => {
    expect(confirmation("Webinar invite", { name: "Pro plan", count: 240 })).toBe("Send 'Webinar invite' to 240 contacts in 'Pro plan'?");
    expect(confirmation("Webinar invite", { name: "Founders", count: 1 })).toBe("Send 'Webinar invite' to 1 contact in 'Founders'?");
    expect(confirmation("Webinar invite", { name: "Nobody", count: 0 })).toBe("'Nobody' has no contacts now: there is nobody to send 'Webinar invite' to.");
  });

  it("says whom the flow's re-entry rule keeps out, after_exit when it has none", () => {
    const already = "Contacts already in the flow are kept out by its re-entry rule.";
    expect(reentryNote(undefined)).toBe(already);
    expect(reentryNote({ goal: { event: "paid" } })).toBe(already);
    expect(reentryNote({ reentry: { mode: "after_exit", cooldown: "P1DT2H" } })).toBe(
      "Contacts already in the flow, or who left it less than 1 day 2 hours ago, are kept out by its re-entry rule.",
    );
    expect(reentryNote({ reentry: { mode: "once" } })).toBe(
      "Contacts who have been in the flow before are kept out: its re-entry rule lets each contact in once.",
    );
    expect(reentryNote({ reentry: { mode: "always" } })).toBe("Its re-entry rule lets contacts already in the flow enter it again.");
    expect(reentryNote({ reentry: { mode: "always", cooldown: "P7D" } })).toBe(
      "Contacts who entered the flow less than 7 days ago are kept out by its re-entry rule.",
    );
  });
});

describe("progress and result", () => {
  it("counts the contacts checked and enrolled while the jobs run, and once they are done", () => {
    expect(progressNote(broadcast({ status: "queued", scanned: 0, enrolled: 0 }))).toBe("Queued: 120 contacts to check, waiting for a worker…");
    expect(progressNote(broadcast({}))).toBe("Checked 50 of 120 contacts: 28 enrolled so far.");
    expect(progressNote(broadcast({ status: "done", scanned: 120, enrolled: 78 }))).toBe("Checked 120 of 120 contacts: 78 enrolled.");
    expect([finished(broadcast({ status: "queued" })), finished(broadcast({})), finished(broadcast({ status: "done" })), finished(broadcast({ status: "failed" }))])
      .toEqual([false, false, true, true]);
  });

  it("says what a finished broadcast did, or why it stopped", () => {
    expect(outcome(broadcast({ status: "done", audience: 80, enrolled: 78, kept_out: 2 }))).toBe(
      "Done: 78 contacts enrolled, 2 contacts kept out by the re-entry rule.",
    );
    expect(outcome(broadcast({ status: "done", audience: 1, enrolled: 1, kept_out: 0 }))).toBe("Done: 1 contact enrolled.");
    expect(outcome(broadcast({ status: "done", audience: 0, enrolled: 0, kept_out: 0 }))).toBe(
      "Done: no contact was in the audience, so no one was enrolled.",
    );
    expect(outcome(broadcast({ status: "failed", audience: 30, enrolled: 30, kept_out: 0, error: "the segment 'Pro plan' was deleted while it was being sent" })))
      .toBe("Failed: the segment 'Pro plan' was deleted while it was being sent. 30 contacts enrolled before it stopped.");
  });

  it("names a broadcast's audience: its segment, or the contacts chosen by id", () => {
    expect(audienceName(broadcast({}))).toBe("'Pro plan'");
    expect(audienceName(broadcast({ segment_id: null, segment_name: null, chosen: 3 }))).toBe("3 contacts chosen by id");
  });
});
