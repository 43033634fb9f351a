import type { IncomingHttpHeaders } from "node:http";
import type { Fault } from "./directives";
import type { Script } from "./script";

/** One upstream wire format the emulator speaks (OpenAI, Anthropic, Gemini, Cohere, Bedrock…). */
export interface WireFormat {
  name: string;
  /** Whether this format serves the path (after the provider slug) and method. */
  matches(rest: string, method: string): boolean;
  /** Whether the request carries this format's credential (any non-empty value is accepted). */
  authorized(headers: IncomingHttpHeaders, url: URL): boolean;
  /** The format's own error reply for a status and provider error code. */
  error(status: number, code: string | undefined, retryAfter: number | undefined): Script;
  /** The reply to a well-formed request. */
  handle(input: {
    rest: string;
    method: string;
    body: Record<string, any>;
    provider: string;
    fault: Fault;
    url: URL;
    headers: IncomingHttpHeaders;
  }): Script;
}
