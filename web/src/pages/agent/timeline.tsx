// Replaced once GET /v1/orders/:id/timeline lands on main.
export function Timeline(_: { orderId: string; version: string }) {
  return null;
}
