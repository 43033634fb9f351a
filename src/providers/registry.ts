import type { AdapterKind } from "../catalog/types";
import { anthropicAdapter } from "./anthropic";
import { openaiAdapter } from "./openai";
import type { ChatAdapter } from "./types";

/** Adapters by wire format. A kind missing here makes its endpoints unroutable (not a crash). */
const adapters: Partial<Record<AdapterKind, ChatAdapter>> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
};

export function adapterFor(kind: AdapterKind): ChatAdapter | undefined {
  return adapters[kind];
}
