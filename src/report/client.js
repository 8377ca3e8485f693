// Draws the charts of an epmt page from the JSON in #epmt-data, with the
// ECharts library inlined before this script. Runs in the browser; no
// network. When every chart has rendered, <body data-rendered="N"> says
// how many (the browser tests wait for it).
(function () {
  "use strict";
  /* global echarts */
  const data = JSON.parse(document.getElementById("epmt-data").textContent);
  const charts = [];
  const drawn = [];

  function chart(id, option) {
    const el = document.getElementById(id);
    if (!el) return;
    const c = echarts.init(el, null, { renderer: "canvas" });
    drawn.push(
      new Promise(function (resolve) {
        c.on("finished", function done() {
          c.off("finished", done);
          resolve();
        });
      }),
    );
    c.setOption(option);
    charts.push(c);
  }

  function dur(us) {
    const a = Math.abs(us);
    if (a < 1000) return Math.round(us) + " µs";
    if (a < 1e6) return (us / 1000).toPrecision(3) + " ms";
    if (a < 6e7) return (us / 1e6).toPrecision(3) + " s";
    const s = Math.round(us / 1e6);
    if (s < 3600) {
      return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
    }
    const m = Math.round(s / 60);
    return Math.floor(m / 60) + "h" + String(m % 60).padStart(2, "0") + "m";
  }

  function bytes(b) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = b;
    let i = 0;
    while (v >= 1024 && i < u.length - 1) {
      v /= 1024;
      i++;
    }
    return (i === 0 ? Math.round(v) : v.toPrecision(3)) + " " + u[i];
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return "&#" + c.charCodeAt(0) + ";";
    });
  }

  const palette = [
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#86bcb6",
  ];

  function gantt(k, g) {
    const items = [];
    for (let i = 0; i < g.lane.length; i++) {
      items.push([g.start[i] / 1e6, g.lane[i], g.end[i] / 1e6, i]);
    }
    chart("gantt-" + k, {
      animation: false,
      grid: { left: 140, right: 24, top: 10, bottom: 60 },
      tooltip: {
        confine: true,
        formatter: function (p) {
          const i = p.value[3];
          const exit = g.exit[i];
          return "<b>" + esc(g.strings[g.exe[i]]) + "</b> pid " + g.pid[i] +
            "<br>" + esc(g.strings[g.args[i]]) +
            "<br>cpu " + dur(g.cpu[i]) + ", wall " +
            dur(g.end[i] - g.start[i]) +
            (g.rss[i] >= 0 ? ", rss " + bytes(g.rss[i] * 1024) : "") +
            "<br>start +" + dur(g.start[i]) + ", exit " + esc(exit) +
            (g.crit[i] ? "<br><b>on the critical path</b>" : "");
        },
      },
      dataZoom: [
        { type: "inside", filterMode: "weakFilter" },
        { type: "slider", filterMode: "weakFilter", height: 18, bottom: 8 },
      ],
      xAxis: {
        type: "value",
        name: "s after start",
        nameLocation: "middle",
        nameGap: 24,
        min: 0,
        axisLabel: { formatter: (v) => v + " s" },
      },
      yAxis: {
        type: "category",
        data: g.lanes,
        inverse: true,
        axisLabel: { width: 130, overflow: "truncate" },
      },
      series: [{
        type: "custom",
        // Drawn at once: progressive rendering reports "finished" early.
        progressive: 0,
        encode: { x: [0, 2], y: 1, tooltip: [0, 2] },
        data: items,
        renderItem: function (params, api) {
          const i = api.value(3);
          const lane = api.value(1);
          const a = api.coord([api.value(0), lane]);
          const b = api.coord([api.value(2), lane]);
          const band = api.size([0, 1])[1] * 0.84;
          const h = band / g.rows[lane];
          const rect = echarts.graphic.clipRectByRect({
            x: a[0],
            y: a[1] - band / 2 + g.row[i] * h,
            width: Math.max(b[0] - a[0], 1),
            height: Math.max(h - 1, 1),
          }, {
            x: params.coordSys.x,
            y: params.coordSys.y,
            width: params.coordSys.width,
            height: params.coordSys.height,
          });
          if (!rect) return null;
          const failed = g.exit[i] !== 0 && g.exit[i] !== -1;
          return {
            type: "rect",
            shape: rect,
            style: {
              fill: failed ? "#c62828" : palette[lane % palette.length],
              stroke: g.crit[i] ? "#b71c1c" : null,
              lineWidth: g.crit[i] ? 2 : 0,
            },
          };
        },
      }],
    });
  }

  function bars(id, rows) {
    const names = rows.map((r) => r.name);
    chart(id, {
      animation: false,
      grid: { left: 140, right: 30, top: 28, bottom: 24 },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: function (ps) {
          const r = rows[ps[0].dataIndex];
          return "<b>" + esc(r.name) + "</b> (" + r.procs + " processes)" +
            "<br>cpu " + dur(r.cpu_us) + "<br>wall " + dur(r.wall_us);
        },
      },
      xAxis: { type: "value", name: "s", axisLabel: { hideOverlap: true } },
      yAxis: {
        type: "category",
        data: names,
        inverse: true,
        axisLabel: { width: 130, overflow: "truncate" },
      },
      series: [
        {
          name: "cpu",
          type: "bar",
          data: rows.map((r) => r.cpu_us / 1e6),
        },
        {
          name: "wall",
          type: "bar",
          data: rows.map((r) => r.wall_us / 1e6),
        },
      ],
    });
  }

  // One colour per executable wherever it appears in the tree.
  function colour(nodes) {
    nodes.forEach(function (n) {
      const exe = n.name.replace(/ ×\d+$/, "");
      let h = 0;
      for (let i = 0; i < exe.length; i++) {
        h = (h * 31 + exe.charCodeAt(i)) >>> 0;
      }
      n.itemStyle = { color: palette[h % palette.length] };
      if (n.children) colour(n.children);
    });
    return nodes;
  }

  function tree(k, nodes) {
    chart("tree-" + k, {
      animation: false,
      tooltip: {
        formatter: function (p) {
          const d = p.data || {};
          return "<b>" + esc(d.name || "") + "</b><br>inclusive cpu " +
            dur((d.value || 0) * 1e6) + "<br>" + (d.procs || 0) +
            " processes";
        },
      },
      series: [{
        type: "sunburst",
        data: colour(nodes),
        radius: ["8%", "96%"],
        sort: null,
        nodeClick: "rootToNode",
        emphasis: { focus: "ancestor" },
        label: { rotate: "radial", minAngle: 8, fontSize: 10 },
        levels: [],
        itemStyle: { borderWidth: 1, borderColor: "#fff" },
      }],
    });
  }

  function experiment(e) {
    const points = e.points.map((p) => [p.start_us / 1000, p.value, p.jobid]);
    const series = [{
      name: e.metric,
      type: "line",
      data: points,
      symbolSize: 7,
      lineStyle: { width: 1 },
      itemStyle: { color: "#2f6fdf" },
    }];
    if (e.band) {
      const xs = [
        points.length ? points[0][0] : 0,
        points.length ? points[points.length - 1][0] : 1,
      ];
      series.push({
        name: "band low",
        type: "line",
        stack: "band",
        symbol: "none",
        lineStyle: { opacity: 0 },
        data: xs.map((x) => [x, e.band.low]),
        tooltip: { show: false },
      }, {
        name: "model band",
        type: "line",
        stack: "band",
        symbol: "none",
        lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(46,125,50,0.18)" },
        data: xs.map((x) => [x, e.band.high - e.band.low]),
        tooltip: { show: false },
      }, {
        name: "model median",
        type: "line",
        symbol: "none",
        lineStyle: { type: "dashed", color: "#2e7d32" },
        data: xs.map((x) => [x, e.band.median]),
      });
    }
    chart("experiment", {
      animation: false,
      grid: { left: 80, right: 30, top: 30, bottom: 60 },
      legend: {
        top: 0,
        data: series.map((s) => s.name).filter((n) => n !== "band low"),
      },
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          if (!Array.isArray(p.value) || p.value.length < 3) return "";
          return "<b>job " + esc(p.value[2]) + "</b><br>" +
            new Date(p.value[0]).toISOString().slice(0, 19).replace("T", " ") +
            " UTC<br>" + esc(e.metric) + " " + p.value[1].toPrecision(4) +
            (e.unit ? " " + esc(e.unit) : "");
        },
      },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      xAxis: { type: "time" },
      yAxis: { type: "value", name: e.unit || "", scale: true },
      series: series,
    });
    const c = charts[charts.length - 1];
    if (c && e.linkBase) {
      c.on("click", function (p) {
        if (Array.isArray(p.value) && p.value.length >= 3) {
          location.href = e.linkBase + encodeURIComponent(p.value[2]);
        }
      });
    }
  }

  if (data.kind === "report") {
    data.reports.forEach(function (r, k) {
      gantt(k, r.gantt);
      bars("byop-" + k, r.byOp);
      bars("byexe-" + k, r.byExe);
      tree(k, r.tree);
    });
  } else if (data.kind === "experiment") {
    experiment(data);
  }
  Promise.all(drawn).then(function () {
    document.body.dataset.rendered = String(charts.length);
  });
  addEventListener("resize", function () {
    charts.forEach((c) => c.resize());
  });
})();
