/** The revenue report's chart: a bar per period and group. Stacked when the groups add up to the total (by a
 * first-touch tag, so a column's height is the period's revenue); side by side, with the orders' total as a line,
 * when they do not (by flow: an order two flows credited is in both bars). */
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { formatNumber } from "../components/localeFormat";
import { chartRows, chartSeries, formatRevenue, periodLabel } from "./revenueReport";
import type { RevenueReport } from "./types";

export function RevenueChart({ report }: { report: RevenueReport }) {
  const rows = chartRows(report);
  const series = chartSeries(report);
  const interval = report.interval;
  return (
    <div className="revenue-chart" data-testid="revenue-chart" aria-label={`Revenue per ${interval}, by ${report.by}`}>
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={rows} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="period" tickFormatter={(period: string) => periodLabel(period, interval)} fontSize={11} minTickGap={16} />
          <YAxis fontSize={11} width={56} tickFormatter={(value: number) => formatNumber(value, { notation: "compact" })} />
          <Tooltip
            labelFormatter={(period: string) => periodLabel(period, interval, true)}
            formatter={(value: number, name: string) => [formatRevenue(value), name]}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((one) => (
            <Bar
              key={one.dataKey}
              dataKey={one.dataKey}
              name={one.label}
              fill={one.color}
              stackId={report.additive ? "revenue" : undefined}
              isAnimationActive={false}
            />
          ))}
          {!report.additive && (
            <Line dataKey="total" name="All orders" stroke="#0f172a" strokeDasharray="4 3" dot={false} isAnimationActive={false} />
          )}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
