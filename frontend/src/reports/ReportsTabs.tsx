/** The reports there are, as tabs above each report's page. */
import { NavLink } from "react-router-dom";

export function ReportsTabs() {
  return (
    <nav className="segmented reports-tabs" aria-label="Reports">
      <NavLink to="/reports/funnels" data-testid="reports-funnels">
        Funnels
      </NavLink>
      <NavLink to="/reports/messages" data-testid="reports-messages">
        Messages
      </NavLink>
      <NavLink to="/reports/revenue" data-testid="reports-revenue">
        Revenue
      </NavLink>
    </nav>
  );
}
