// Placeholder of the booking area until its pages land (issue #16).
export function BookingRoutes() {
  return <h1>booking</h1>;
}
