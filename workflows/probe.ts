/**
 * The smallest workflow: no activities, one result. Used to measure the Temporal server's own cost of starting
 * and completing a workflow (bench baseline) and to prove a worker is polling (tests, readiness).
 */
export async function probeWorkflow(name: string): Promise<string> {
  return `pong ${name}`;
}
