/// The console's one style sheet and one script, served by the hub (no CDN, no web fonts).
enum ConsoleAssets {
    static let css = """
        :root { color-scheme: light; --ink: #1c2430; --muted: #5b6675; --line: #d8dee6; --accent: #0b6bcb; --bad: #b42318; --ok: #146c2e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f5f7fa; }
        header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #112033; color: #fff; }
        header a { color: #fff; text-decoration: none; margin-right: 16px; }
        header .brand { font-weight: 700; }
        header .who { margin-left: auto; display: flex; align-items: center; gap: 8px; }
        header .role { font-size: 12px; padding: 1px 6px; border: 1px solid #8aa0b8; border-radius: 8px; }
        main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
        h1 { font-size: 22px; margin: 8px 0 16px; }
        h2 { font-size: 17px; margin: 0 0 12px; }
        h3 { font-size: 15px; margin: 16px 0 8px; }
        table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef2f6; font-weight: 600; font-size: 13px; }
        td.empty { color: var(--muted); text-align: center; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 16px 20px; margin: 20px 0; }
        .narrow { max-width: 360px; }
        label { display: block; margin: 10px 0; }
        label.choice, label.switch { font-weight: normal; }
        input:not([type=checkbox]):not([type=radio]), textarea { display: block; width: 100%; max-width: 420px; padding: 6px 8px; border: 1px solid #b8c2cf; border-radius: 4px; font: inherit; }
        fieldset { border: 1px solid var(--line); border-radius: 4px; max-width: 420px; }
        button { padding: 6px 14px; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
        button.copy { background: #fff; color: var(--accent); padding: 2px 8px; }
        form.inline { display: inline; }
        header button { background: transparent; border-color: #8aa0b8; padding: 2px 10px; }
        .notice { background: #e8f3ec; border: 1px solid #b7dcc3; color: var(--ok); padding: 8px 12px; border-radius: 4px; }
        .error { background: #fdecea; border: 1px solid #f5c2bd; color: var(--bad); padding: 8px 12px; border-radius: 4px; }
        .hint, .pager { color: var(--muted); font-size: 13px; }
        .recommendation { border-left: 3px solid #e0a800; padding-left: 10px; color: #5c4a00; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        pre { white-space: pre-wrap; word-break: break-all; background: #f0f3f7; padding: 8px; }
        code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
        form.filter { display: flex; gap: 8px; align-items: end; margin-bottom: 12px; }
        form.filter label { margin: 0; }
        form.filter { flex-wrap: wrap; }
        form.filter input, form.filter select { max-width: 200px; }
        tr.failure td { background: #fff6f5; }
        tr.device-failure td { background: #fff6f5; }
        tr.device-success td { background: #eef8f1; }
        progress { width: 120px; vertical-align: middle; }
        select { padding: 5px 8px; border: 1px solid #b8c2cf; border-radius: 4px; font: inherit; }
        ul.links { padding-left: 20px; }
        .task-summary { margin: 16px 0 8px; }
        #shadow textarea, #message textarea { max-width: none; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
        div.actions { margin: 12px 0; }
        form.filter select[name=status] { display: block; padding: 6px 8px; border: 1px solid #b8c2cf; border-radius: 4px; font: inherit; }

        """

    /// Copy buttons: `data-copy` names the element whose text goes to the clipboard; sections that refresh
    /// themselves (`data-poll`).
    static let javaScript = """
        document.addEventListener("click", function (event) {
          var button = event.target.closest("button[data-copy]");
          if (!button) return;
          var source = document.getElementById(button.getAttribute("data-copy"));
          if (!source || !navigator.clipboard) return;
          navigator.clipboard.writeText(source.textContent).then(function () { button.textContent = "Copied"; });
        });

        // A section with `data-poll` (a task's progress, the newest registration attempts) is replaced by a fresh
        // copy from that URL 2 s after the previous answer (one request at a time, so answers arrive in order)
        // until its `data-finished` is "true"; a failed or signed-out answer stops the polling.
        (function () {
          var first = document.querySelector("[data-poll]");
          if (!first || first.getAttribute("data-finished") === "true" || !window.fetch || !window.DOMParser) return;
          function poll() {
            var current = document.querySelector("[data-poll]");
            if (!current) return;
            fetch(current.getAttribute("data-poll"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
              .then(function (response) {
                if (!response.ok || response.redirected) throw new Error("stopped");
                return response.text();
              })
              .then(function (text) {
                var fresh = new DOMParser().parseFromString(text, "text/html").querySelector("[data-poll]");
                if (!fresh) throw new Error("stopped");
                current.replaceWith(document.importNode(fresh, true));
                if (fresh.getAttribute("data-finished") !== "true") setTimeout(poll, 2000);
              })
              .catch(function () {});
          }
          setTimeout(poll, 2000);
        })();

        """
}
