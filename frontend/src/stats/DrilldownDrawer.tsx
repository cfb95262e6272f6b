/** The contacts behind a number of statistics mode, with a link to each contact's card. */
import { useCallback } from "react";

import { getNodeContacts, type StatsQuery } from "../api";
import { ContactsDrawer } from "../components/ContactsDrawer";
import { type Drilldown, editorStore, useEditor } from "../editor/store";

/** What the time beside each contact is: runs are dated by when they entered the flow, unless they ended or converted. */
function timeColumn(metric: string): string {
  if (metric === "converted") return "Converted";
  if (metric === "completed" || metric.startsWith("exited")) return "Left the flow";
  if (metric === "entered" || metric === "waiting" || metric.startsWith("left:")) return "Entered the flow";
  return "When";
}

interface DrawerProps {
  flowId: number;
  query: StatsQuery;
}

export function DrilldownDrawer({ flowId, query }: DrawerProps) {
  const drilldown = useEditor((state) => state.drilldown);
  if (!drilldown) return null;
  // A key per number: another number opens on its first page.
  return <DrilldownContacts key={`${drilldown.nodeId}:${drilldown.metric}`} drilldown={drilldown} flowId={flowId} query={query} />;
}

function DrilldownContacts({ drilldown, flowId, query }: DrawerProps & { drilldown: Drilldown }) {
  const load = useCallback(
    (limit: number, offset: number) =>
      getNodeContacts(flowId, drilldown.nodeId, drilldown.metric, { ...query, limit, offset }),
    [drilldown, flowId, query],
  );
  return (
    <ContactsDrawer
      testId="drilldown"
      context={drilldown.nodeLabel}
      title={drilldown.title}
      timeTitle={timeColumn(drilldown.metric)}
      load={load}
      onClose={() => editorStore.getState().openDrilldown(null)}
      rowTestId="drilldown-row"
      emptyText="No contacts here for these dates."
    />
  );
}
