/** Who has the conversation: one of the builder's users, or nobody. */
import type { UserAccount } from "../api";
import type { Person } from "./types";
import { personName } from "./wording";

interface AssignSelectProps {
  assignee: Person | null;
  users: UserAccount[];
  disabled: boolean;
  onAssign(userId: number | null): void;
}

export function AssignSelect({ assignee, users, disabled, onAssign }: AssignSelectProps) {
  // A disabled user keeps the conversations they had; only active users can be given new ones.
  const choices = users.filter((user) => !user.disabled_at || user.id === assignee?.id);
  return (
    <select aria-label="Assignee" data-testid="assign-select" disabled={disabled} value={assignee?.id ?? ""}
            onChange={(event) => onAssign(event.target.value ? Number(event.target.value) : null)}>
      <option value="">Unassigned</option>
      {assignee && !choices.some((user) => user.id === assignee.id) && <option value={assignee.id}>{personName(assignee)}</option>}
      {choices.map((user) => (
        <option key={user.id} value={user.id}>
          {personName(user)}
          {user.is_you ? " (you)" : ""}
        </option>
      ))}
    </select>
  );
}
