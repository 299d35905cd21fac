// Placeholder of the agent area until its pages land (issue #16).
export function AgentRoutes() {
  return <h1>agent</h1>;
}
