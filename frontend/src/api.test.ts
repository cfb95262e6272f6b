import { afterEach, describe, expect, it, vi } from "vitest";

import { forgetLegacyToken, getNodeTypes, LEGACY_TOKEN_KEY, logInWithToken, logOut, storedToken } from "./api";

/** A Storage that records every write, to show the token never reaches one. */
function recordingStorage() {
  const values = new Map<string, string>();
  return {
    values,
    getItem: (key: string) => values.get(key) ?? null,
    setItem: vi.fn((key: string, value: string) => void values.set(key, value)),
    removeItem: vi.fn((key: string) => void values.delete(key)),
    clear: () => values.clear(),
    key: () => null,
    length: 0,
  };
}

function answering(status: number, body: unknown = {}) {
  return vi.fn<(path: string, init?: RequestInit) => Promise<Response>>(
    async () => new Response(JSON.stringify(body), { status }),
  );
}

afterEach(async () => {
  await logOut();
  vi.unstubAllGlobals();
});

describe("the API token", () => {
  it("is kept in memory only: no storage is written, every request sends it", async () => {
    const local = recordingStorage();
    const session = recordingStorage();
    vi.stubGlobal("localStorage", local);
    vi.stubGlobal("sessionStorage", session);
    const fetch = answering(200, { node_types: [], schemas: {} });
    vi.stubGlobal("fetch", fetch);

    await logInWithToken("secret-admin-token");
    await getNodeTypes();

    expect(storedToken()).toBe("secret-admin-token");
    expect(local.setItem).not.toHaveBeenCalled();
    expect(session.setItem).not.toHaveBeenCalled();
    const sent = fetch.mock.calls.map(([, init]) => (init?.headers as Record<string, string>).Authorization);
    expect(sent).toEqual(["Bearer secret-admin-token", "Bearer secret-admin-token"]);
  });

  it("is dropped when the server refuses it, and on signing out", async () => {
    vi.stubGlobal("fetch", answering(403, { message: "This token is not valid" }));
    await expect(logInWithToken("wrong")).rejects.toThrow("This token is not valid");
    expect(storedToken()).toBeNull();

    vi.stubGlobal("fetch", answering(200, { node_types: [], schemas: {} }));
    await logInWithToken("secret-admin-token");
    await logOut();
    expect(storedToken()).toBeNull();
  });

  it("left in localStorage by an earlier canvas is removed", () => {
    const local = recordingStorage();
    local.values.set(LEGACY_TOKEN_KEY, "old-token");
    forgetLegacyToken(local);
    expect(local.values.has(LEGACY_TOKEN_KEY)).toBe(false);
    expect(() => forgetLegacyToken(undefined)).not.toThrow();
    expect(() => forgetLegacyToken({ removeItem: () => { throw new Error("storage is disabled"); } })).not.toThrow();
  });
});
