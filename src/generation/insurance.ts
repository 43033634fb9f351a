import type { Env } from "../env";

/**
 * OpenRouter's zero completion insurance: a chat generation is not charged (prompt, completion
 * and reasoning tokens alike) when it ended in an error finish, or produced no completion tokens
 * and has no finish reason at all. The provider may still bill the operator for the prompt; that
 * is the insurance's price, which OpenRouter pays too. `ZERO_COMPLETION_INSURANCE=off` turns it
 * off: such a generation is then charged for what the provider counted, as any other.
 */

/** How a chat generation ended, as far as the insurance asks. */
export interface Ending {
  /** Each choice's finish reason (null: none was given). */
  finishReasons: readonly (string | null | undefined)[];
  completionTokens: number;
}

/** Whether `ending` is covered: every choice finished in error, or nothing was produced and nothing finished. */
export function insured(env: Pick<Env, "ZERO_COMPLETION_INSURANCE">, ending: Ending): boolean {
  if (env.ZERO_COMPLETION_INSURANCE === "off") return false;
  const { finishReasons, completionTokens } = ending;
  if (finishReasons.length > 0 && finishReasons.every((reason) => reason === "error")) return true;
  return completionTokens === 0 && finishReasons.every((reason) => !reason);
}
