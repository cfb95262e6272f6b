/** The flows and segments that use a segment, as links to them (or "not used"). */
import { Link } from "react-router-dom";

import type { Segment } from "../api";

export function UsedBy({ segment }: { segment: Segment }) {
  const links = [
    ...segment.used_by_flows.map((flow) => (
      <Link key={`flow-${flow.id}`} to={`/flows/${flow.id}`} onClick={(event) => event.stopPropagation()}>
        {flow.name}
      </Link>
    )),
    ...segment.used_by_segments.map((other) => (
      <Link key={`segment-${other.id}`} to={`/segments/${other.id}`} onClick={(event) => event.stopPropagation()}>
        segment {other.name}
      </Link>
    )),
  ];
  if (!links.length) return <span className="muted">not used</span>;
  return <span className="used-by">{links.flatMap((link, index) => (index ? [", ", link] : [link]))}</span>;
}
