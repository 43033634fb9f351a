import type { UpstreamTarget } from "../types";

/**
 * Bedrock's credential, in three parts: the access key id is the provider's key (`apiKey`), the
 * secret access key and the optional session token are further settings. Signing reads them here
 * and so does the cleaning of error text, so that what signs a call is what is kept from clients.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The secret access key signed with when the bundled emulator stands in for Bedrock and none is
 * set: the emulator checks a signature's form, not its value.
 */
export const EMULATOR_SECRET_ACCESS_KEY = "emulator-secret";

function secretAccessKey(target: UpstreamTarget): string | undefined {
  return target.setting("AWS_SECRET_ACCESS_KEY") ?? (target.emulated ? EMULATOR_SECRET_ACCESS_KEY : undefined);
}

/** The credential a Bedrock call is signed with; throws when there is no secret to sign with. */
export function awsCredentials(target: UpstreamTarget): AwsCredentials {
  const secret = secretAccessKey(target);
  if (!secret) throw new Error("AWS_SECRET_ACCESS_KEY is not set for Amazon Bedrock");
  const sessionToken = target.setting("AWS_SESSION_TOKEN");
  return { accessKeyId: target.apiKey, secretAccessKey: secret, ...(sessionToken ? { sessionToken } : {}) };
}

/** The credential's secret parts besides the access key id: the secret access key and session token. */
export function awsSecrets(target: UpstreamTarget): string[] {
  const parts = [secretAccessKey(target), target.setting("AWS_SESSION_TOKEN")];
  return parts.filter((part): part is string => part !== undefined && part !== "");
}
