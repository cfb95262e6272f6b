/** The scenarios gallery: proven maps, each with a sketch; picking one opens it as a new draft. */
import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";

import { listScenarios, type ScenarioSummary, importScenario } from "../api";
import { loadCatalogue, useEditor } from "../editor/store";
import { categoryColour } from "../nodes/categoryColour";

/** A small drawing of the scenario's map from its node positions, each node in its category's colour. */
function Sketch({ preview }: { preview: ScenarioSummary["preview"] }) {
  const catalogue = useEditor((state) => state.catalogue);
  const positions = new Map(preview.nodes.map((node, index) => [node.id, node.position ?? { x: index * 250, y: 0 }]));
  const xs = [...positions.values()].map((point) => point.x);
  const ys = [...positions.values()].map((point) => point.y);
  const [minX, minY] = [Math.min(...xs, 0), Math.min(...ys, 0)];
  const width = Math.max(...xs, 1) - minX + 200;
  const height = Math.max(...ys, 1) - minY + 100;
  return (
    <svg className="sketch" viewBox={`${minX - 20} ${minY - 20} ${width} ${height}`} preserveAspectRatio="xMidYMid meet" aria-hidden>
      {preview.edges.map((edge) => {
        const from = positions.get(edge.from);
        const to = positions.get(edge.to);
        if (!from || !to) return null;
        return <line key={`${edge.from}-${edge.port}-${edge.to}`} x1={from.x + 160} y1={from.y + 30} x2={to.x} y2={to.y + 30} stroke="#94a3b8" strokeWidth={6} />;
      })}
      {preview.nodes.map((node) => {
        const point = positions.get(node.id)!;
        return <rect key={node.id} x={point.x} y={point.y} width={160} height={60} rx={12} style={{ fill: categoryColour(catalogue[node.type]?.category) }} opacity={0.9} />;
      })}
    </svg>
  );
}

export function ScenariosPage() {
  const navigate = useNavigate();
  const [scenarios, setScenarios] = useState<ScenarioSummary[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    listScenarios().then(setScenarios, (error: Error) => setProblem(error.message));
    loadCatalogue().catch((error: Error) => setProblem(error.message)); // the sketches colour nodes by their category
  }, []);

  const pick = (slug: string) => {
    setBusy(slug);
    importScenario(slug).then(
      (flow) => navigate(`/flows/${flow.id}`),
      (error: Error) => {
        setBusy(null);
        setProblem(error.message);
      },
    );
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>Scenarios</h1>
        <p className="muted">Proven scenarios to start from. Picking one makes a new draft you can change before publishing.</p>
      </div>
      {problem && <p className="text-danger">{problem}</p>}
      {scenarios === null && !problem && <p className="muted">Loading…</p>}
      {scenarios?.length === 0 && (
        <div className="empty-state">
          <h2>No scenarios installed</h2>
          <p>
            Run <code>automap scenarios load</code> on the server to install the scenarios that ship with automap.
          </p>
        </div>
      )}
      <div className="cards">
        {scenarios?.map((scenario) => (
          <article key={scenario.slug} className="card scenario-card" data-testid={`scenario-${scenario.slug}`}>
            <Sketch preview={scenario.preview} />
            <h3>{scenario.name}</h3>
            <p className="muted">{scenario.description}</p>
            <div className="card-foot">
              <span className="muted small">{scenario.node_count} steps</span>
              <button type="button" className="button" disabled={busy !== null} onClick={() => pick(scenario.slug)}>
                {busy === scenario.slug ? "Creating…" : "Use this scenario"}
              </button>
            </div>
          </article>
        ))}
      </div>
    </div>
  );
}
