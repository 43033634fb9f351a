import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Metadata attached to an error; values must be JSON-serialisable and never hold secrets. */
export type ErrorMetadata = Record<string, unknown>;

/** OpenRouter's error body: `{"error":{"code":<status>,"message":"…","metadata":{…}}}`. */
export interface ErrorBody {
  error: { code: number; message: string; metadata?: ErrorMetadata };
}

/**
 * An error that becomes an HTTP reply in OpenRouter's shape. Thrown anywhere on the request path;
 * the app's error handler renders it, so modules never build error responses themselves.
 */
export class GatewayError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly metadata?: ErrorMetadata,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "GatewayError";
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.status,
        message: this.message,
        ...(this.metadata ? { metadata: this.metadata } : {}),
      },
    };
  }

  toResponse(extraHeaders?: Record<string, string>): Response {
    return Response.json(this.toBody(), {
      status: this.status,
      headers: { ...this.headers, ...extraHeaders },
    });
  }
}

/**
 * A 400 from building one endpoint's request: a limit of that provider's API (inputs per call,
 * output sizes), not a fault of the request itself. The attempt loop skips the endpoint, with no
 * call made, and tries the next one; the client gets this refusal only when no endpoint took the
 * request. Any other GatewayError thrown while building a request ends it at once.
 */
export class EndpointRefusal extends GatewayError {
  constructor(message: string) {
    super(400, message);
    this.name = "EndpointRefusal";
  }
}

export const badRequest = (message: string, metadata?: ErrorMetadata) => new GatewayError(400, message, metadata);
export const unauthorized = (message: string) => new GatewayError(401, message);
export const notFound = (message: string, metadata?: ErrorMetadata) => new GatewayError(404, message, metadata);
