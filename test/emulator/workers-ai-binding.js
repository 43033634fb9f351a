/**
 * A stand-in for Workers AI's binding (`env.AI`) in the test pool (vitest.config.ts binds it as a
 * wrapped binding): its `toMarkdown` sends the documents to the emulator's copy of Cloudflare's
 * REST conversion (`POST /client/v4/accounts/{id}/ai/tomarkdown`, the files as multipart), where
 * the real binding reaches Cloudflare's, and answers as the binding does: one result for one
 * document, a list for a list.
 */
export default function workersAi(env) {
  return {
    async toMarkdown(documents) {
      const list = Array.isArray(documents) ? documents : [documents];
      const form = new FormData();
      for (const document of list) form.append("files", document.blob, document.name);
      const response = await fetch(`${env.EMULATOR_URL}/cloudflare/client/v4/accounts/emulated/ai/tomarkdown`, {
        method: "POST",
        headers: { authorization: "Bearer emulated" },
        body: form,
      });
      const body = await response.json();
      if (!body.success) throw new Error(body.errors?.[0]?.message ?? `Workers AI answered ${response.status}`);
      return Array.isArray(documents) ? body.result : body.result[0];
    },
  };
}
