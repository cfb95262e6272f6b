import { describe, expect, it } from "vitest";

import { NODE_CATALOGUE } from "../test/catalogue";
import { FILTER_SCHEMA_ID, FilterLanguage } from "./filterLanguage";
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
    expect(language.blank("segment")).toEqual({ segment: 1, op: "in" });
    expect(language.blank("message")).toEqual({ message: "", status: "sent", op: "is" });
  });

  it("says which operators take a value and which a list", () => {
    expect(language.takes({ property: "phone", op: "exists" }, "value")).toBe(false);
    expect(language.takes({ property: "total", op: "gt" }, "value")).toBe(true);
    expect(language.takesList({ property: "utm_source", op: "in" }, "value")).toBe(true);
    expect(language.takesList({ property: "total", op: "gt" }, "value")).toBe(false);
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
  });
});
