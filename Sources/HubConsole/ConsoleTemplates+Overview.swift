/// Templates of the overview, the applications and the product page's remote-configuration and webhook
/// cards (same rules as `ConsoleTemplates`: every value through `{{x}}`, HTML-escaped).
extension ConsoleTemplates {
    static let overviewTemplates: [(String, String)] = [
        ("overview", overview), ("chart", chart), ("online-chart", onlineChart), ("applications", applications),
        ("application-created", applicationCreated), ("application-confirm", applicationConfirm), ("product-integrations", productIntegrations),
    ]

    static let overview = """
        <p class="hint">Counted since the hub started, at most the last hour; times in UTC. <a href="/console/overview">Refresh</a></p>
        <div class="stats">
        <div class="stat"><span class="stat-value" id="online-total">{{onlineTotal}}</span> <span class="stat-label">devices online now</span></div>
        <div class="stat"><span class="stat-value" id="accepted-hour">{{acceptedHour}}</span> <span class="stat-label">registrations accepted, last hour</span></div>
        <div class="stat"><span class="stat-value" id="refused-hour">{{refusedHour}}</span> <span class="stat-label">registrations refused, last hour</span></div>
        <div class="stat"><span class="stat-value" id="messages-rate">{{messagesRate}}</span> <span class="stat-label">MQTT messages received per second, last minute</span></div>
        </div>
        <section class="card" id="registrations">
        <h2>Registrations per minute</h2>
        {{#registrations}}{{> chart}}{{/registrations}}
        <p class="hint">Every attempt is in the <a href="/console/registrations">registration audit</a>.</p>
        </section>
        <section class="card" id="online">
        <h2>Devices online now, per product</h2>
        {{#online}}{{> online-chart}}{{/online}}
        {{^online}}<p class="hint">No device is connected.</p>{{/online}}
        {{#moreProducts}}<p class="hint">and {{moreProducts}} more product(s) with devices online.</p>{{/moreProducts}}
        </section>
        <section class="card" id="messages">
        <h2>MQTT messages received per second</h2>
        {{#messagesSeconds}}{{> chart}}{{/messagesSeconds}}
        {{#messagesMinutes}}{{> chart}}{{/messagesMinutes}}
        </section>

        """

    /// A `ConsoleChart` (stacked bars over time).
    static let chart = """
        <figure class="chart" id="{{id}}">
        <svg role="img" aria-labelledby="{{id}}-title {{id}}-desc" viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}">
        <title id="{{id}}-title">{{title}}</title>
        <desc id="{{id}}-desc">{{desc}}</desc>
        <text class="axis-unit" x="4" y="12">{{unit}}</text>
        {{#grid}}<line class="grid" x1="{{plotLeft}}" x2="{{plotRight}}" y1="{{y}}" y2="{{y}}"></line><text class="axis-label" x="{{axisLabelX}}" y="{{labelY}}" text-anchor="end">{{label}}</text>
        {{/grid}}
        {{#ticks}}<line class="tick" x1="{{x}}" x2="{{x}}" y1="{{plotBottom}}" y2="{{tickBottom}}"></line><text class="axis-label" x="{{x}}" y="{{labelY}}" text-anchor="start" dx="3">{{label}}</text>
        {{/ticks}}
        {{#bars}}<rect class="bar {{style}}" x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}" data-series="{{series}}" data-count="{{count}}" data-start="{{start}}"><title>{{title}}</title></rect>
        {{/bars}}
        <line class="axis" x1="{{plotLeft}}" x2="{{plotRight}}" y1="{{plotBottom}}" y2="{{plotBottom}}"></line>
        </svg>
        <figcaption>
        <p class="chart-title">{{title}}</p>
        <ul class="legend">
        {{#legend}}<li data-series="{{key}}" data-total="{{total}}"><svg class="swatch" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true"><rect class="{{style}}" width="10" height="10"></rect></svg> {{name}}: <strong>{{total}}</strong></li>
        {{/legend}}
        </ul>
        {{#empty}}<p class="hint">Nothing in this period.</p>{{/empty}}
        </figcaption>
        </figure>

        """

    /// Devices online per product: one horizontal bar each.
    static let onlineChart = """
        <figure class="chart" id="chart-online">
        <svg role="img" aria-labelledby="chart-online-title chart-online-desc" viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}">
        <title id="chart-online-title">Devices online now, per product</title>
        <desc id="chart-online-desc">{{desc}}</desc>
        {{#rows}}<text class="axis-label" x="{{labelX}}" y="{{textY}}" text-anchor="end">{{name}}</text><rect class="bar s-online" x="{{barX}}" y="{{y}}" width="{{width}}" height="18" data-product="{{id}}" data-online="{{count}}"><title>{{name}} ({{id}}): {{count}} online</title></rect><text class="bar-value" x="{{valueX}}" y="{{textY}}">{{count}}</text>
        {{/rows}}
        </svg>
        </figure>

        """

    static let applications = """
        <p>An application (your business backend) connects to the hub's MQTT broker with the username
        <strong>AppId</strong> and the password <strong>AppSecret</strong>, and receives and commands the devices of its products.</p>
        <table>
        <thead><tr><th>Name</th><th>AppId</th><th>Products</th><th>Created (UTC)</th>{{#canChange}}<th></th>{{/canChange}}</tr></thead>
        <tbody>
        {{#applications}}
        <tr><td class="app-name">{{name}}</td><td><code class="app-id">{{id}}</code></td><td>{{products}}</td><td>{{created}}</td>{{#canChange}}<td><a class="delete" href="/console/applications/{{idPath}}/confirm">Delete</a></td>{{/canChange}}</tr>
        {{/applications}}
        {{^applications}}<tr><td colspan="5" class="empty">No applications yet.</td></tr>{{/applications}}
        </tbody>
        </table>
        <p class="pager">{{total}} application(s). {{#previous}}<a href="?offset={{previous}}">Previous</a>{{/previous}} {{#next}}<a href="?offset={{next}}">Next</a>{{/next}}</p>
        {{#canChange}}
        <form method="post" action="/console/applications" class="card" id="create-application">
        <h2>Create an application</h2>
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Name <input name="name" required maxlength="64" value="{{form.name}}"></label>
        <fieldset><legend>Products it may receive from and command</legend>
        {{#choices}}<label class="choice"><input type="checkbox" name="products" value="{{id}}" {{#checked}}checked{{/checked}}> {{name}} <code>{{id}}</code></label>
        {{/choices}}
        {{^choices}}<p class="hint">Create a product first.</p>{{/choices}}
        </fieldset>
        <button type="submit">Create application</button>
        </form>
        {{/canChange}}

        """

    static let applicationCreated = """
        <p class="notice">The AppSecret is shown this once. Copy it now: the hub keeps only a salted hash of it and the console cannot show it again.</p>
        <dl class="facts">
        <dt>Name</dt><dd>{{name}}</dd>
        <dt>AppId (MQTT username)</dt><dd><code id="app-id">{{appId}}</code> <button type="button" class="copy" data-copy="app-id">Copy</button></dd>
        <dt>AppSecret (MQTT password)</dt><dd><code id="app-secret">{{appSecret}}</code> <button type="button" class="copy" data-copy="app-secret">Copy</button></dd>
        <dt>Products</dt><dd>{{products}}</dd>
        </dl>
        <p><a href="/console/applications">Back to the applications</a></p>

        """

    static let applicationConfirm = """
        <form method="post" action="/console/applications/{{idPath}}/delete" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <p>Delete the application {{name}} (<code>{{id}}</code>)?</p>
        <p class="hint">Its MQTT connections are closed at once and its AppId and AppSecret stop working. This cannot be undone.</p>
        <button type="submit">Delete</button> <a href="/console/applications">Cancel</a>
        </form>

        """

    /// Inside the product page's `{{#product}}`: the remote configuration and webhook cards.
    static let productIntegrations = """
        <section class="card" id="remote-config">
        <h2>Remote configuration</h2>
        <p>A JSON object the product's devices fetch over MQTT (remote configuration); saving it also pushes it
        at once to the devices online now.</p>
        {{#canChange}}
        <form method="post" action="/console/products/{{idPath}}/remote-config">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Configuration (a JSON object) <textarea name="config" rows="6" class="code">{{remoteConfig}}</textarea></label>
        <button type="submit">Save configuration</button>
        </form>
        {{/canChange}}
        {{^canChange}}<pre id="remote-config-value">{{remoteConfig}}</pre>{{/canChange}}
        </section>
        <section class="card" id="webhook">
        <h2>Webhook</h2>
        <p>Device messages and lifecycle events (registered, activated, online, offline) of this product are POSTed
        as JSON to this URL, in order, at least once.</p>
        {{#webhook}}
        <dl class="facts">
        <dt>URL</dt><dd class="webhook-url">{{#hasURL}}<code>{{url}}</code>{{/hasURL}}{{^hasURL}}none: the webhook is off{{/hasURL}}</dd>
        <dt>Delivered</dt><dd class="webhook-delivered">{{delivered}}</dd>
        <dt>Failed attempts</dt><dd class="webhook-failed">{{failed}}</dd>
        <dt>Dropped (backlog full)</dt><dd class="webhook-dropped">{{dropped}}</dd>
        <dt>Queued now</dt><dd class="webhook-queued">{{pending}}</dd>
        </dl>
        <p class="hint">Counted since the hub started; a failed attempt is retried (backoff up to a minute), each retry counts.</p>
        {{#canChange}}
        <form method="post" action="/console/products/{{idPath}}/webhook">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>URL (http:// or https://) <input name="url" type="url" maxlength="2048" value="{{draft}}"></label>
        <button type="submit">Save URL</button>
        </form>
        {{#hasURL}}<form method="post" action="/console/products/{{idPath}}/webhook" class="clear-webhook">
        <input type="hidden" name="_csrf" value="{{csrf}}"><input type="hidden" name="url" value="">
        <button type="submit">Turn the webhook off</button>
        </form>{{/hasURL}}
        {{/canChange}}
        {{/webhook}}
        </section>

        """
}
