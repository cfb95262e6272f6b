/** The flow's days in statistics mode: contacts entered and converted (bars) and revenue (line), per day. */
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import type { FlowStats } from "../api";
import { count, money } from "./format";

const DAY = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

/** A counter day (UTC, YYYY-MM-DD) as the browser's locale writes a short date. */
function dayLabel(day: string): string {
  return DAY.format(new Date(`${day}T00:00:00Z`));
}

export function DailyChart({ series }: { series: FlowStats["series"] }) {
  if (series.length === 0) return null;
  return (
    <div className="daily-chart" data-testid="daily-chart" aria-label="Entered, converted and revenue per day">
      <ResponsiveContainer width="100%" height={140}>
        <ComposedChart data={series} margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tickFormatter={dayLabel} fontSize={11} minTickGap={16} />
          <YAxis yAxisId="people" allowDecimals={false} fontSize={11} width={40} tickFormatter={(value: number) => count(value)} />
          <YAxis yAxisId="revenue" orientation="right" fontSize={11} width={48} tickFormatter={(value: number) => money(value)} />
          <Tooltip
            labelFormatter={(day: string) => dayLabel(day)}
            formatter={(value: number, name: string) => [name === "Revenue" ? money(value) : count(value), name]}
          />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Bar yAxisId="people" dataKey="entered" name="Entered" fill="#93c5fd" isAnimationActive={false} />
          <Bar yAxisId="people" dataKey="converted" name="Converted" fill="#34d399" isAnimationActive={false} />
          <Line yAxisId="revenue" dataKey="revenue" name="Revenue" stroke="#f59e0b" dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
