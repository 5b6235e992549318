// DECI Studio graph editor (components v2). Python owns the graph: every mouse edit is sent to
// Python as a trigger value {op, source, target} and is only drawn once Python re-sends the graph
// (no optimistic edits, so a rejected edit never lingers). Variable names are user data: they reach
// the page only through canvas text and textContent, never as HTML.
// `vis` is defined by vis-network's UMD bundle, which Python prepends to this file.
const vis = globalThis.vis;
const COLORS = {
  continuous: { background: "#cfe2ff", border: "#2b5d9b" },
  binary: { background: "#d3f9d8", border: "#2b8a3e" },
  categorical: { background: "#e5dbff", border: "#6741d9" },
  "": { background: "#e9ecef", border: "#495057" },
};
const ROLE_BORDER = { treatment: "#f08c00", outcome: "#c92a2a" };
const eid = (u, v) => JSON.stringify([u, v]);

function textTitle(text) {
  const el = document.createElement("div");
  el.textContent = text;  // never innerHTML: names may contain markup
  return el;
}

function nodeItem(n, pos) {
  const colors = COLORS[n.kind] || COLORS[""];
  const role = ROLE_BORDER[n.role];
  const item = {
    id: n.id, label: n.id, shape: "box", borderWidth: role ? 4 : 1,
    color: { ...colors, highlight: colors, hover: colors, ...(role ? { border: role } : {}) },
    title: textTitle(`${n.id}\n${n.kind || "variable"}${n.role ? " · " + n.role : ""}`),
  };
  if (pos) { item.x = pos[0]; item.y = pos[1]; }
  return item;
}

const EDIT_COLOR = "#d9480f";  // the analyst's own edits: solid, full arrowhead (legend "your edit")

function edgeItem(e) {
  const p = e.p === null || e.p === undefined ? null : e.p;
  const mine = e.origin === "added" || e.origin === "reversed";
  const strength = mine ? 1 : p === null ? 0.8 : p;
  const color = e.locked ? "#2b8a3e" : mine ? EDIT_COLOR : e.unidentified ? "#7048e8" : "#343a40";
  const prob = p === null ? "no posterior probability" : `posterior probability ${p.toFixed(2)}`;
  const origin = mine ? `your edit (${e.origin})` : e.origin;
  const note = e.unidentified ? "\ndirection not identifiable from the data: add domain knowledge to orient it" : "";
  const text = `${e.from} → ${e.to}\n${prob}\n${origin}${e.locked ? " · locked (expert-confirmed)" : ""}${note}`;
  // No vis `title`: vis picks the hovered edge by its own hit test, which could name another edge
  // than a click selects. Our tooltip and our click both use edgeAt() (the edge under the pointer).
  return {
    id: eid(e.from, e.to), from: e.from, to: e.to, width: mine ? 3 : 1 + 4 * strength,
    hoverLabel: p === null ? (e.locked ? "locked" : origin) : p.toFixed(2), label: "",
    color: { color, opacity: mine ? 1 : 0.3 + 0.7 * strength, highlight: "#1971c2", hover: color },
    arrows: { to: { enabled: true, scaleFactor: mine ? 1.2 : 1 } },
    dashes: !mine && e.unidentified ? [2, 5] : false, tip: text, mine,
  };
}

function sync(s, data) {
  const ids = new Set(data.nodes.map((n) => n.id));
  s.nodes.remove(s.nodes.getIds().filter((id) => !ids.has(id)));
  s.nodes.update(data.nodes.map((n) => nodeItem(n, data.positions[n.id])));
  const want = data.edges.map(edgeItem);
  const keep = new Set(want.map((e) => e.id));
  s.edges.remove(s.edges.getIds().filter((id) => !keep.has(id)));
  s.edges.update(want);
  s.locked = new Set(data.edges.filter((e) => e.locked).map((e) => eid(e.from, e.to)));
  const hint = s.root.querySelector(".ge-hint");
  hint.textContent = data.message || "";
  hint.classList.toggle("ge-bad", data.ok === false);
  s.root.dataset.edges = JSON.stringify(data.edges.map((e) => [e.from, e.to]));
  s.root.dataset.nonce = String(data.nonce);  // changes on every Python answer (tests, bench)
}

function segmentDistance(p, a, b) {
  const dx = b.x - a.x, dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2)) : 0;
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

// The edge under a canvas point: the nearest straight segment within 8 screen pixels, none over a node.
function edgeAt(s, point) {
  if (s.network.getNodeAt(s.network.canvasToDOM(point)) !== undefined) return null;
  const pos = s.network.getPositions();
  const tolerance = 8 / s.network.getScale();
  let best = null, bestDistance = Infinity;
  s.edges.forEach((e) => {
    const a = pos[e.from], b = pos[e.to];
    if (!a || !b) return;
    const d = segmentDistance(point, a, b);
    if (d < bestDistance) { bestDistance = d; best = e; }
  });
  return bestDistance <= tolerance ? best : null;
}

function hover(s, edge, at) {  // ``at``: the pointer relative to the editor's root (for the tooltip)
  const tip = s.root.querySelector(".ge-tip");
  const id = edge ? edge.id : null;
  if (s.hovered !== id) {
    if (s.hovered && s.edges.get(s.hovered)) s.edges.update({ id: s.hovered, label: "" });
    if (edge) s.edges.update({ id, label: edge.hoverLabel });  // the probability, on the canvas
    s.hovered = id;
  }
  tip.hidden = !edge;
  if (edge) {
    tip.textContent = edge.tip;  // never innerHTML: names may contain markup
    tip.style.left = `${at.x + 14}px`;
    tip.style.top = `${at.y + 14}px`;
  }
}

function selectedEdge(s) {
  const id = s.network.getSelectedEdges()[0];
  return id ? s.edges.get(id) : null;
}

function setup(root, name) {
  const nodes = new vis.DataSet();
  const edges = new vis.DataSet();
  const s = { root, nodes, edges, api: {} };
  const hint = root.querySelector(".ge-hint");
  const send = (op) => s.api.setTriggerValue("edit", { ...op, t: Date.now() });
  const addButton = root.querySelector(".ge-add");
  s.network = new vis.Network(root.querySelector(".ge-canvas"), { nodes, edges }, {
    physics: false,
    layout: { randomSeed: 0 },
    edges: { arrows: "to", smooth: false, selectionWidth: 2, hoverWidth: 1 },
    nodes: { font: { size: 16, multi: false }, margin: 8 },
    interaction: { hover: true, selectConnectedEdges: false, multiselect: false, tooltipDelay: 150 },
    manipulation: {
      enabled: false,
      addEdge: (d, cb) => {
        cb(null);  // no optimistic edge: Python validates and re-sends the graph
        s.network.disableEditMode();  // cb(null) would leave vis in add-edge mode
        addButton.classList.remove("ge-active");
        if (d.from !== d.to) send({ op: "add", source: d.from, target: d.to });
        else hint.textContent = "An edge needs two different variables.";
      },
    },
  });
  s.network.on("beforeDrawing", (ctx) => {  // white background, so the PNG is not transparent
    ctx.save(); ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height); ctx.restore();
  });
  const withEdge = (op) => () => {
    const e = selectedEdge(s);
    if (!e) { hint.textContent = "Click an edge first to select it."; return; }
    send({ op: op === "lock" && s.locked.has(e.id) ? "unlock" : op, source: e.from, target: e.to });
  };
  addButton.onclick = () => {
    hint.textContent = "Drag from the cause to the effect.";
    addButton.classList.add("ge-active");
    s.network.addEdgeMode();
  };
  root.querySelector(".ge-delete").onclick = withEdge("delete");
  root.querySelector(".ge-reverse").onclick = withEdge("reverse");
  root.querySelector(".ge-lock").onclick = withEdge("lock");
  root.querySelector(".ge-fit").onclick = () => s.network.fit();
  root.querySelector(".ge-png").onclick = () => {
    const a = document.createElement("a");
    a.href = root.querySelector(".ge-canvas canvas").toDataURL("image/png");
    a.download = "causal_graph.png";
    a.click();
  };
  const canvasBox = root.querySelector(".ge-canvas");
  canvasBox.addEventListener("keydown", (ev) => {
    if (ev.key === "Delete" || ev.key === "Backspace") withEdge("delete")();
  });
  // Hover and click both ask edgeAt(): the tooltip names the edge a click selects.
  canvasBox.addEventListener("pointermove", (ev) => {
    const r = canvasBox.getBoundingClientRect(), o = root.getBoundingClientRect();
    const dom = { x: ev.clientX - r.left, y: ev.clientY - r.top };
    hover(s, edgeAt(s, s.network.DOMtoCanvas(dom)), { x: ev.clientX - o.left, y: ev.clientY - o.top });
  });
  canvasBox.addEventListener("pointerleave", () => hover(s, null, null));
  s.network.on("click", (p) => {
    if (p.nodes.length) return;
    const edge = edgeAt(s, p.pointer.canvas);
    if (edge) {
      s.network.selectEdges([edge.id]);
      hint.textContent = `Selected ${edge.from} → ${edge.to}.`;
    } else s.network.unselectAll();
  });
  s.edgeAt = (point) => edgeAt(s, point);
  s.network.on("dragEnd", (p) => {
    if (p.nodes.length === 1) {
      const id = p.nodes[0];
      const xy = s.network.getPositions([id])[id];
      send({ op: "move", node: id, x: Math.round(xy.x), y: Math.round(xy.y) });
    }
  });
  (globalThis.__graphEditors ||= {})[name] = s;  // test and benchmark hook
  return s;
}

export default function (component) {
  const { data, parentElement, setTriggerValue, name } = component;
  const root = parentElement.querySelector(".ge-root");
  const canvas = root.querySelector(".ge-canvas");
  const height = `${data.height || 520}px`;
  const resized = canvas.style.height !== height;
  canvas.style.height = height;  // before vis measures the canvas
  const s = root.__ge || (root.__ge = setup(root, name));
  if (resized && s.fitted) s.network.setSize("100%", height);
  s.api.setTriggerValue = setTriggerValue;  // always the latest callback
  sync(s, data);
  if (!s.fitted) { s.network.fit(); s.fitted = true; }
  // Streamlit only runs the cleanup returned by the *last* invocation, at unmount.
  return () => { s.network.destroy(); delete root.__ge; };
}
