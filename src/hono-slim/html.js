// hono's utils/html.js, for c.html() with a JSX or html`` value: see ./unbundled.js.
export { unbundled as resolveCallback } from "./unbundled.js";
export const HtmlEscapedCallbackPhase = { Stringify: 1, BeforeStream: 2, Stream: 3 };
