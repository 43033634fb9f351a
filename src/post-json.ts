/**
 * One JSON call to a service the gateway uses beside the models (Exa's search and contents,
 * Mistral's OCR): its parsed reply (null for a body that is no JSON), or what went wrong as a
 * phrase for the client's error ("no answer", "status 503"). A call the client's leaving aborted
 * throws, as the request is over; one past `timeoutMs` is "no answer".
 */
export async function postJson(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<{ reply: unknown } | { failed: string }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    return { failed: "no answer" };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { failed: `status ${response.status}` };
  }
  return { reply: await response.json().catch(() => null) };
}
