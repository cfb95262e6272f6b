import { describe, expect, it } from "vitest";

import type { Segment } from "../api";
import { NODE_CATALOGUE } from "../test/catalogue";
import { countOf, FILTER_SCHEMA_ID, FilterLanguage, placeOf, withCount, withWhere, wording } from "./filterLanguage";
import { describeRule } from "./filterText";

const language = new FilterLanguage(NODE_CATALOGUE.schemas[FILTER_SCHEMA_ID]);

describe("the filter language, read from filter.schema.json", () => {
  it("knows the kinds of rule in the schema's order", () => {
    expect(language.kinds.map((kind) => kind.key)).toEqual(["property", "event", "segment", "message"]);
  });

  it("offers every message status the schema allows, dismissed included", () => {
    expect(language.choices({ message: "mail", status: "read" }, "status")).toContain("dismissed");
  });

  it("starts each kind of rule with what it requires", () => {
    expect(language.blank("property")).toEqual({ property: "", op: "eq", value: "" });
    expect(language.blank("event")).toEqual({ event: "", op: "did" });
    expect(language.blank("segment")).toEqual({ segment: "", op: "in" });
    expect(language.blank("message")).toEqual({ message: "", status: "sent", op: "is" });
  });

  it("says which operators take a value and which a list", () => {
    expect(language.takes({ property: "phone", op: "exists" }, "value")).toBe(false);
    expect(language.takes({ property: "total", op: "gt" }, "value")).toBe(true);
    expect(language.takesList({ property: "utm_source", op: "in" }, "value")).toBe(true);
    expect(language.takesList({ property: "total", op: "gt" }, "value")).toBe(false);
  });
});

describe("editing an event rule", () => {
  const paid = { event: "order_paid", op: "did", within: "P14D" };

  it("offers the schema's count comparisons, worded", () => {
    expect(language.countChoices()).toEqual(["gte", "lte", "eq"]);
    expect(language.countChoices().map((op) => wording("count", op))).toEqual(["at least", "at most", "exactly"]);
  });

  it("sets how many times as {op, value}, a whole number of 0 or more, and drops it for at least once", () => {
    expect(countOf(paid)).toEqual({ op: "", times: 1 });
    const thrice = withCount(paid, "gte", 3);
    expect(thrice).toEqual({ ...paid, count: { op: "gte", value: 3 } });
    expect(countOf(thrice)).toEqual({ op: "gte", times: 3 });
    expect(withCount(thrice, "eq", 2.7).count).toEqual({ op: "eq", value: 2 });
    expect(withCount(thrice, "lte", -4).count).toEqual({ op: "lte", value: 0 });
    expect(withCount(thrice, "lte", Number("")).count).toEqual({ op: "lte", value: 0 });
    expect(withCount(thrice, "", 3)).toEqual(paid);
  });

  it("keeps rules on the event's properties under where, and drops the key when none is left", () => {
    const big = { property: "amount", op: "gte", value: 100 };
    expect(withWhere(paid, [big])).toEqual({ ...paid, where: [big] });
    expect(withWhere({ ...paid, where: [big] }, undefined)).toEqual(paid);
    expect(withWhere({ ...paid, where: [big] }, [])).toEqual(paid);
  });
});

describe("placeOf", () => {
  it("words a JSON pointer into a condition as the builder shows it", () => {
    expect(placeOf("/filter")).toBe("");
    expect(placeOf("/filter/all/1/where/0/value")).toBe("rule 2 › event property rule 1 › value");
    expect(placeOf("/filter/any/0/all/2/count/value")).toBe("rule 1 › rule 3 › times");
    expect(placeOf("/filter/all/0/within")).toBe("rule 1 › in the last");
    expect(placeOf("/filter/not/segment")).toBe("not › segment");
    expect(placeOf("/name")).toBe("");
  });
});

describe("describeRule", () => {
  it("words every kind of rule as the builder does, with the schema's defaults", () => {
    expect(describeRule({ property: "total", op: "gt", value: 0 }, language)).toBe("total greater than 0");
    expect(describeRule({ event: "order_paid", op: "did_not", within: "P14D" }, language)).toBe("did not do order_paid in the last 14 days");
    expect(describeRule({ event: "order_paid" }, language)).toBe("did order_paid");
    expect(describeRule({ segment: 3 }, language)).toBe("in segment #3");
    expect(describeRule({ all: [{ message: "mail", op: "is_not", status: "dismissed" }, { segment: 3, op: "not_in" }] }, language)).toBe(
      "all of (message mail was not dismissed; not in segment #3)",
    );
    const segments = [{ id: 3, name: "Pro plan" }] as Segment[];
    expect(describeRule({ segment: 3 }, language, segments)).toBe("in segment “Pro plan”");
    expect(describeRule({ event: "order_paid", count: { op: "gte", value: 2 }, within: "P14D", where: [{ property: "amount", op: "gte", value: 100 }] }, language)).toBe(
      "did order_paid at least 2 times in the last 14 days where amount at least 100",
    );
  });
});
