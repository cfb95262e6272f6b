import { describe, expect, it } from "vitest";

import { drilldownMetric, MESSAGE_COLUMNS, rowKey } from "./messagesReport";

describe("the messages report's columns", () => {
  it("open the flow's drill-down for the channel's status, and conversions for converted and revenue", () => {
    expect(drilldownMetric("email", "read")).toBe("email:read");
    expect(drilldownMetric("chat", "replied")).toBe("chat:replied");
    expect(drilldownMetric("popup", "converted")).toBe("converted");
    expect(drilldownMetric("email", "revenue")).toBe("converted");
  });

  it("rate every figure but sent and revenue", () => {
    expect(MESSAGE_COLUMNS.filter((column) => !column.rate).map((column) => column.key)).toEqual(["sent", "revenue"]);
  });

  it("tell a node's channels apart", () => {
    const row = { flow: { id: 3, name: "Cart", status: "live" as const }, node_id: "popup" };
    expect(rowKey({ ...row, channel: "popup" })).not.toBe(rowKey({ ...row, channel: "email" }));
  });
});
