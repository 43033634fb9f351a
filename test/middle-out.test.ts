import { describe, expect, it } from "vitest";
import type { Endpoint } from "../src/catalog/types";
import type { ChatRequest, Message } from "../src/schema/chat";
import { fitToEndpoint, middleOut, middleOutApplies } from "../src/transforms/middle-out";
import { estimatePromptTokens } from "../src/transforms/tokens";
import { chat, emulatorRequests, fundedAccount, nonce } from "./support/gateway";

/** `i` in letters (0 → "a", 10 → "ba"): words of plain letters, as prose is (the estimate counts a digit as a token). */
const letters = (i: number) => [...String(i)].map((digit) => "abcdefghij"[Number(digit)]).join("");
const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${letters(i)}`).join(" ");
const conversation = (turns: number, size: number): Message[] => [
  { role: "system", content: "You are terse." },
  ...Array.from({ length: turns }, (_, i) => ({
    role: (i % 2 === 0 ? "user" : "assistant") as "user",
    content: words(size, `t${letters(i)}w`),
  })),
  { role: "user", content: "The latest question?" },
];
const endpoint = (context: number) =>
  ({ context_length: context, max_completion_tokens: null, max_prompt_tokens: null }) as unknown as Endpoint;

describe("middle-out", () => {
  it("drops turns from the middle, keeping the system prompt and the latest turns", () => {
    const messages = conversation(20, 100);
    const kept = middleOut(messages, 800);
    expect(estimatePromptTokens(kept)).toBeLessThanOrEqual(800);
    expect(kept[0]).toEqual(messages[0]);
    expect(kept.at(-1)).toEqual(messages.at(-1));
    expect(kept.at(-2)).toEqual(messages.at(-2));
    expect(kept[1]).toEqual(messages[1]); // the oldest turns survive longer than the middle ones
    expect(kept.length).toBeLessThan(messages.length);
  });

  it("removes a tool call together with its results", () => {
    const messages: Message[] = [
      { role: "user", content: words(300, "a") },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: words(300, "r") },
      { role: "user", content: words(300, "b") },
      { role: "user", content: "now?" },
    ];
    const kept = middleOut(messages, 400);
    const hasCall = kept.some((m) => m.role === "assistant");
    const hasResult = kept.some((m) => m.role === "tool");
    expect(hasCall).toBe(hasResult);
  });

  it("trims one huge message from its middle when dropping turns is not enough", () => {
    const kept = middleOut([{ role: "user", content: words(5000, "x") }], 1000);
    expect(estimatePromptTokens(kept)).toBeLessThanOrEqual(1100);
    expect(String(kept[0]?.content)).toContain("[…]");
    expect(String(kept[0]?.content).startsWith("xa ")).toBe(true);
  });

  it("removes the same turns as removing the middle one at a time would, for any length and budget", () => {
    // The turns the one-at-a-time removal takes, in order: the middle of the removable ones left.
    const oneAtATime = (messages: Message[], budget: number) => {
      const kept = [...messages];
      let total = estimatePromptTokens(messages);
      const head = messages[0]?.role === "system" ? 1 : 0;
      let middle = kept.length - 1 - head;
      while (total > budget && middle > 0) {
        const [removed] = kept.splice(head + Math.floor((middle - 1) / 2), 1);
        total -= estimatePromptTokens([removed as Message]) - 3;
        middle--;
      }
      return kept;
    };
    let compared = 0;
    for (let turns = 0; turns < 40; turns++) {
      const messages = conversation(turns, 10);
      const full = estimatePromptTokens(messages);
      for (const budget of [full, full - 20, Math.floor(full / 2), Math.floor(full / 3), 60, 40]) {
        const expected = oneAtATime(messages, budget);
        if (estimatePromptTokens(expected) > budget) continue; // then the longest text is trimmed too
        compared++;
        expect(middleOut(messages, budget), `${turns} turns, budget ${budget}`).toEqual(expected);
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it("cuts a conversation of 200k short turns in time in proportion to it", () => {
    const messages = Array.from({ length: 200_000 }, (_, i) => ({
      role: (i % 2 === 0 ? "user" : "assistant") as "user",
      content: `turn ${letters(i)}`,
    }));
    const started = performance.now();
    const kept = middleOut(messages, 7_000);
    const elapsed = performance.now() - started;
    expect(kept.length).toBeLessThan(2_000);
    expect(kept.at(-1)).toBe(messages.at(-1));
    // ~0.2 s here; removing turns one by one from the array (a splice each) took ~100 s.
    expect(elapsed).toBeLessThan(3_000);
  });

  it("is on by default for ≤ 8k endpoints and off with transforms: []", () => {
    expect(middleOutApplies({}, endpoint(8192))).toBe(true);
    expect(middleOutApplies({}, endpoint(128000))).toBe(false);
    expect(middleOutApplies({ transforms: [] }, endpoint(8192))).toBe(false);
    expect(middleOutApplies({ transforms: ["middle-out"] }, endpoint(128000))).toBe(true);
    const request = { messages: conversation(40, 100) } as ChatRequest;
    expect(fitToEndpoint(request, endpoint(8192))).toBe(request); // fits: untouched
    expect(fitToEndpoint(request, endpoint(2048)).messages.length).toBeLessThan(request.messages.length);
  });

  it("lets a long conversation reach a small-context model through the gateway", async () => {
    const { key } = await fundedAccount("1");
    const marker = nonce();
    const messages = [...conversation(60, 250), { role: "user", content: `final ${marker}` }];
    const ok = await chat(key, { model: "meta-llama/llama-3-8b-instruct", messages });
    expect(ok.status).toBe(200);
    const [upstream] = await emulatorRequests(marker);
    const sent = (upstream!.body as any).messages as Message[];
    expect(sent.length).toBeLessThan(messages.length);
    expect(sent[0]).toEqual(messages[0]);
    expect(sent.at(-1)).toEqual(messages.at(-1));
    const off = await chat(key, { model: "meta-llama/llama-3-8b-instruct", messages, transforms: [] });
    expect(off.status).toBe(400);
    expect(((await off.json()) as any).error.message).toMatch(/context length 8192/);
  });

  it("takes the context-compression plugin (newer clients' spelling) for middle-out, on or off", async () => {
    const { key } = await fundedAccount("1");
    const messages = [...conversation(60, 250), { role: "user", content: `final ${nonce()}` }];
    const plugin = (extra: Record<string, unknown>) => [{ id: "context-compression", ...extra }];
    const model = "meta-llama/llama-3-8b-instruct";
    const off = await chat(key, { model, messages, plugins: plugin({ enabled: false }) });
    expect(off.status).toBe(400);
    expect(((await off.json()) as any).error.message).toMatch(/context length 8192/);
    const on = await chat(key, { model, messages, transforms: [], plugins: plugin({ engine: "middle-out" }) });
    expect(on.status).toBe(200);
    const other = await chat(key, { model, messages, plugins: plugin({ engine: "summarize" }) });
    expect(((await other.json()) as any).error.message).toContain('engine "summarize" is not supported');
  });
});
