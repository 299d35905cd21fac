// Placeholder of the analytics area until its pages land (issue #16).
export function AnalyticsRoutes() {
  return <h1>analytics</h1>;
}
