// Placeholder of the manage area until its pages land (issue #16).
export function ManageRoutes() {
  return <h1>manage</h1>;
}
