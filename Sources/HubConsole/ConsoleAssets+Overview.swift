/// Styles of the overview's charts, the applications page and the product page's integration cards
/// (served after `ConsoleAssets.css` in the same style sheet). SVG colours are set here by class: the
/// content security policy allows no style attributes.
extension ConsoleAssets {
    static let overviewCSS = """
        .stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 4px; }
        .stat { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; min-width: 200px; flex: 1; }
        .stat-value { display: block; font-size: 24px; font-weight: 700; line-height: 1.2; }
        .stat-label { color: var(--muted); font-size: 13px; }
        figure.chart { margin: 8px 0 16px; }
        figure.chart > svg { width: 100%; max-width: 720px; height: auto; display: block; }
        .chart .grid { stroke: #e4e9ef; stroke-width: 1; }
        .chart .axis, .chart .tick { stroke: #8a96a6; stroke-width: 1; }
        .chart .axis-label, .chart .axis-unit, .chart .bar-value { font-size: 11px; fill: var(--muted); }
        .chart .bar-value { fill: var(--ink); }
        .chart .chart-title { margin: 4px 0; font-size: 13px; color: var(--muted); }
        ul.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
        ul.legend svg.swatch { vertical-align: baseline; }
        .s-ok { fill: #2e9d57; }
        .s-r0 { fill: #d64545; }
        .s-r1 { fill: #e8882f; }
        .s-r2 { fill: #8e5bd6; }
        .s-r3 { fill: #c2457f; }
        .s-r4 { fill: #b08d1a; }
        .s-r5 { fill: #5b6b7f; }
        .s-other { fill: #9aa5b1; }
        .s-msg { fill: #0b6bcb; }
        .s-online { fill: #2e9d57; }
        textarea.code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; max-width: 720px; }
        form.clear-webhook { margin-top: 8px; }
        form.clear-webhook button { background: #fff; color: var(--bad); border-color: var(--bad); }
        a.delete { color: var(--bad); }

        """
}
