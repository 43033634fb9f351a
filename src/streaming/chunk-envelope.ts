/** Who a stream's chunks are from: the fields every chunk of one stream shares. */
export interface ChunkEnvelope {
  id: string;
  provider: string | undefined;
  model: string;
  created: number;
}

/**
 * The start of every chunk's SSE frame, its envelope serialised once (`data: {"id":…,"choices":`):
 * a chunk is this, its choices' JSON, any extra fields, and `}\n\n`.
 */
export function chunkPrefix(envelope: ChunkEnvelope, chunkObject: string): string {
  return `data: {"id":${JSON.stringify(envelope.id)},"provider":${JSON.stringify(envelope.provider)},"model":${JSON.stringify(envelope.model)},"object":${JSON.stringify(chunkObject)},"created":${envelope.created},"choices":`;
}
