/** What a flow step's captures and checks read of one response. */
export type FlowResponse = {
  /** 0 when no response came */
  status: number;
  /** lower-cased names, as the response parser gives them */
  headers: Record<string, string | string[] | undefined>;
  /** the body's first bytes (at most the flow body bound), as UTF-8 */
  body: string;
  bodyTruncated: boolean;
  /** this request's latency */
  durationMs: number;
};
