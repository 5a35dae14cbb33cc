// Request contents are parsed once into typed values with the spec's defaults, and a malformed
// field is refused with an error naming the message type, the field, what was expected and
// what came.
import { describe, expect, it } from "vitest";
import { ContentError, describeValue } from "../../kernel/protocol/fields.js";
import { replyType } from "../../kernel/protocol/replies.js";
import { isIncomingType, parseIncoming } from "../../kernel/protocol/requests.js";

describe("parseIncoming", () => {
  it("fills execute_request's defaults; silent implies no history", () => {
    expect(parseIncoming("execute_request", { code: "1" }).content).toEqual({
      code: "1",
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: true,
      stop_on_error: true,
    });
    const silent = parseIncoming("execute_request", {
      code: "x",
      silent: true,
      store_history: true,
      allow_stdin: null,
      user_expressions: { n: "x.length" },
    });
    expect(silent.content).toMatchObject({ silent: true, store_history: false, allow_stdin: true });
    expect(silent.content).toMatchObject({ user_expressions: { n: "x.length" } });
  });

  it("puts the cursor at the end of the code, counted in code points, when none is given", () => {
    expect(parseIncoming("complete_request", { code: "😀ab" }).content).toEqual({ code: "😀ab", cursor_pos: 3 });
    expect(parseIncoming("inspect_request", { code: "abc", cursor_pos: 1, detail_level: 1 }).content).toEqual({
      code: "abc",
      cursor_pos: 1,
      detail_level: 1,
    });
  });

  it("reads the three kinds of history_request with their defaults", () => {
    expect(parseIncoming("history_request", { hist_access_type: "tail" }).content).toEqual({
      hist_access_type: "tail",
      n: 10,
      output: false,
      raw: false,
    });
    expect(parseIncoming("history_request", { hist_access_type: "range", stop: null, output: true }).content).toEqual({
      hist_access_type: "range",
      session: 0,
      start: 1,
      stop: null,
      output: true,
      raw: false,
    });
    expect(parseIncoming("history_request", { hist_access_type: "search", pattern: "a*", n: 3 }).content).toEqual({
      hist_access_type: "search",
      pattern: "a*",
      n: 3,
      unique: false,
      output: false,
      raw: false,
    });
  });

  it("reads comm messages, shutdown and comm_info", () => {
    expect(parseIncoming("comm_open", { comm_id: "c", target_name: "t" }).content).toEqual({
      comm_id: "c",
      target_name: "t",
      data: {},
    });
    expect(parseIncoming("shutdown_request", { restart: true }).content).toEqual({ restart: true });
    // A null optional field takes its default.
    expect(parseIncoming("comm_msg", { comm_id: "c", data: null }).content).toEqual({ comm_id: "c", data: {} });
    expect(parseIncoming("comm_info_request", {}).content).toEqual({});
    expect(parseIncoming("comm_info_request", { target_name: "plots" }).content).toEqual({ target_name: "plots" });
  });

  it.each([
    ["execute_request", {}, "code", "a string", "nothing"],
    ["execute_request", { code: "1", silent: "yes" }, "silent", "true or false", 'a string "yes"'],
    ["execute_request", { code: "1", user_expressions: [] }, "user_expressions", "an object", "an array"],
    [
      "execute_request",
      { code: "1", user_expressions: { a: 1 } },
      "user_expressions.a",
      "a string (an expression)",
      "a number 1",
    ],
    ["complete_request", { code: "x", cursor_pos: "3" }, "cursor_pos", "an integer", 'a string "3"'],
    ["complete_request", { code: "x", cursor_pos: 1.5 }, "cursor_pos", "an integer", "a number 1.5"],
    [
      "history_request",
      { hist_access_type: "bogus" },
      "hist_access_type",
      'one of "tail", "range", "search"',
      'a string "bogus"',
    ],
    ["history_request", { hist_access_type: "search" }, "pattern", "a string", "nothing"],
    ["comm_open", { target_name: "t", data: {} }, "comm_id", "a string", "nothing"],
    ["comm_close", { comm_id: "c", data: "x" }, "data", "an object", 'a string "x"'],
    ["input_reply", { value: 7 }, "value", "a string", "a number 7"],
  ] as const)("refuses %s %j, naming content.%s", (type, content, field, expected, found) => {
    let err: unknown;
    try {
      parseIncoming(type, content);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ContentError);
    expect(err).toMatchObject({ msgType: type, field, expected, found });
    expect((err as Error).message).toBe(`${type}: content.${field} must be ${expected}, found ${found}`);
  });

  it("knows only the types it parses (not Object.prototype's keys)", () => {
    expect(isIncomingType("execute_request")).toBe(true);
    expect(isIncomingType("debug_request")).toBe(false);
    expect(isIncomingType("toString")).toBe(false);
  });
});

describe("replies", () => {
  it("names the reply of a request, and of a message that is not one", () => {
    expect(replyType("execute_request")).toBe("execute_reply");
    expect(replyType("comm_open")).toBe("comm_open_reply");
  });

  it("describes received values briefly", () => {
    expect(describeValue(undefined)).toBe("nothing");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(true)).toBe("boolean true");
    expect(describeValue("x".repeat(100))).toBe(`a string "${"x".repeat(36)}...`);
  });
});
