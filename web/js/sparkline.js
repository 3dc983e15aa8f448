// The health sparkline: inline SVG from the daily series (0-100, oldest first).

import { svg } from "./util.js";

const W = 180;
const H = 48;
const DUE_AT = 39; // health at which a contact is due (DESIGN.md section 5)

/**
 * @param {number[]} series daily health, oldest first
 * @returns {SVGElement}
 */
export function sparkline(series) {
  const values = series.length ? series : [0];
  const n = values.length;
  const x = (i) => (n === 1 ? W : (i / (n - 1)) * W).toFixed(1);
  const y = (v) => (H - 2 - (Math.max(0, Math.min(100, v)) / 100) * (H - 4)).toFixed(1);
  const points = values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
  const first = values[0];
  const last = values[n - 1];
  const low = Math.min(...values);
  const label = `Health over the last ${n} days: ${first} then, ${last} now, lowest ${low}.`;
  return svg(
    "svg",
    {
      class: "sparkline",
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: "none",
      role: "img",
      "aria-label": label,
    },
    svg("title", { text: label }),
    svg("polygon", { class: "spark-area", points: `0,${H} ${points} ${W},${H}` }),
    svg("polyline", { class: "spark-line", points, "vector-effect": "non-scaling-stroke" }),
    svg("line", { class: "spark-due", x1: 0, x2: W, y1: y(DUE_AT), y2: y(DUE_AT) }),
  );
}
