/// The console's mustache templates, compiled into the binary. Every value a user typed or a device sent
/// is written with `{{x}}` (HTML-escaped); `{{{x}}}` is used for one thing only, the layout's `body`,
/// which is the output of another of these templates.
enum ConsoleTemplates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · IoTHub console</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        </head>
        <body>
        <header>
        <a class="brand" href="/console/overview">IoTHub</a>
        {{#signedIn}}
        <nav><a href="/console/overview">Overview</a> <a href="/console/products">Products</a> <a href="/console/applications">Applications</a> <a href="/console/registrations">Registrations</a> <a href="/console/firmware">Firmware</a> <a href="/console/audit">Operator audit</a></nav>
        <div class="who"><span class="operator">{{operatorName}}</span> <span class="role">{{role}}</span>
        <form method="post" action="/console/signout" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit">Sign out</button></form></div>
        {{/signedIn}}
        </header>
        <main>
        <h1>{{title}}</h1>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{{body}}}
        </main>
        <script src="/console/assets/console.js"></script>
        </body>
        </html>

        """

    static let signIn = """
        <form method="post" action="/console/signin" class="card narrow">
        <label>Operator name <input name="name" autocomplete="username" required autofocus value="{{name}}"></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">Sign in</button>
        </form>
        <p class="hint">Operators are created on the hub's machine: <code>iothub console user add NAME --role admin</code>.</p>

        """

    static let products = """
        <table>
        <thead><tr><th>Product</th><th>ProductId</th><th>Devices authenticate with</th><th>Dynamic registration</th><th>Status</th></tr></thead>
        <tbody>
        {{#products}}
        <tr><td><a href="/console/products/{{idPath}}">{{name}}</a></td><td><code>{{id}}</code></td><td>{{auth}}</td><td>{{registration}}</td><td>{{status}}</td></tr>
        {{/products}}
        {{^products}}<tr><td colspan="5" class="empty">No products yet.</td></tr>{{/products}}
        </tbody>
        </table>
        <p class="pager">{{total}} product(s). {{#previous}}<a href="?offset={{previous}}">Previous</a>{{/previous}} {{#next}}<a href="?offset={{next}}">Next</a>{{/next}}</p>
        {{#canChange}}
        <form method="post" action="/console/products" class="card">
        <h2>Create a product</h2>
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Name <input name="name" required maxlength="32" value="{{form.name}}"></label>
        <fieldset><legend>Devices authenticate with</legend>
        <label class="choice"><input type="radio" name="auth" value="psk" {{^form.certificate}}checked{{/form.certificate}}> a key (PSK)</label>
        <label class="choice"><input type="radio" name="auth" value="certificate" {{#form.certificate}}checked{{/form.certificate}}> a certificate</label>
        </fieldset>
        <label>Description <textarea name="description" maxlength="200">{{form.description}}</textarea></label>
        <button type="submit">Create product</button>
        </form>
        {{/canChange}}

        """

    static let product = """
        {{#product}}
        <dl class="facts">
        <dt>ProductId</dt><dd><code>{{id}}</code></dd>
        <dt>Devices authenticate with</dt><dd>{{auth}}</dd>
        <dt>Description</dt><dd>{{description}}</dd>
        <dt>Status</dt><dd>{{status}}</dd>
        </dl>
        <p><a href="/console/products/{{idPath}}/devices">Devices of this product</a> · <a class="firmware" href="/console/products/{{idPath}}/firmware">Firmware and updates</a>
        {{#canChange}} · <a href="/console/products/{{idPath}}/confirm?do={{toggle}}">{{toggleLabel}} product</a>
        · <a href="/console/products/{{idPath}}/confirm?do=delete">Delete product</a>{{/canChange}}</p>
        <section class="card" id="dynamic-registration">
        <h2>Dynamic registration</h2>
        <p>Devices of this product can fetch their own credential from the hub with the ProductId and the
        ProductSecret burnt into the firmware, instead of being provisioned one by one.</p>
        <form method="post" action="/console/products/{{idPath}}/registration">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label class="switch"><input type="checkbox" name="enabled" {{#enabled}}checked{{/enabled}} {{^canChange}}disabled{{/canChange}}> Dynamic registration</label>
        <label class="switch"><input type="checkbox" name="autocreate" {{#autoCreate}}checked{{/autoCreate}} {{^canChange}}disabled{{/canChange}}> Automatically create devices</label>
        <p class="hint">Off: only device names created beforehand (by hand or from a list) may register. On: a unit
        that registers under a new name is created, up to the maximum below.</p>
        <label>Maximum number of automatically created devices
        <input type="number" name="limit" min="0" value="{{limit}}" {{^canChange}}disabled{{/canChange}}></label>
        <p class="recommendation">Set a limit, close to the number of units you will make. Every unit carries the
        ProductSecret: a firmware bug that makes up device names, or a ProductSecret read out of one unit, would
        otherwise create devices without end.</p>
        <p class="usage">Created so far: <strong class="created">{{created}}</strong> of <strong class="limit">{{limit}}</strong>.</p>
        <label class="switch"><input type="checkbox" name="replay" {{#replay}}checked{{/replay}} {{^canChange}}disabled{{/canChange}}> Replay protection
        (a registration request is accepted once; the nonce and timestamp of every accepted one are remembered for 24 hours)</label>
        {{#canChange}}<button type="submit">Save</button>{{/canChange}}
        </form>
        <div class="secret">
        <h3>ProductSecret</h3>
        {{#secret}}<p><code id="product-secret">{{secret}}</code> <button type="button" class="copy" data-copy="product-secret">Copy</button></p>
        <p class="hint">Burn the ProductId and this secret into the firmware. Anyone who has it can register devices of this product.</p>{{/secret}}
        {{^secret}}{{#hasSecret}}<p><a class="reveal" href="/console/products/{{idPath}}?reveal=secret#dynamic-registration">Reveal ProductSecret</a></p>{{/hasSecret}}
        {{^hasSecret}}<p class="hint">The product has no ProductSecret until dynamic registration is switched on.</p>{{/hasSecret}}{{/secret}}
        </div>
        </section>
        {{> product-integrations}}
        {{/product}}

        """

    static let devices = """
        {{#product}}<p><a href="/console/products/{{idPath}}">Back to {{name}}</a></p>{{/product}}
        <form method="get" class="filter"><label>Name <input name="name" value="{{filterName}}"></label>
        <label>Status <select name="status">{{#statuses}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{label}}</option>{{/statuses}}</select></label>
        <button type="submit">Filter</button></form>
        <table>
        <thead><tr><th>Device</th><th>Status</th><th>State</th><th>Credential fetched</th><th>Last login</th><th>Firmware</th></tr></thead>
        <tbody>
        {{#devices}}
        <tr><td class="device-name"><a href="{{path}}">{{name}}</a></td><td class="device-status">{{status}}</td><td class="device-state">{{state}}</td><td>{{fetched}}</td><td>{{lastLogin}}</td><td>{{version}}</td></tr>
        {{/devices}}
        {{^devices}}<tr><td colspan="6" class="empty">No devices.</td></tr>{{/devices}}
        </tbody>
        </table>
        <p class="pager">{{total}} device(s). {{#previous}}<a href="?offset={{previous}}&amp;{{filterQuery}}">Previous</a>{{/previous}} {{#next}}<a href="?offset={{next}}&amp;{{filterQuery}}">Next</a>{{/next}}</p>
        {{#hasProblems}}
        <section class="card" id="import-problems">
        <h2>Nothing was created: {{problemCount}} line(s) of {{fileName}} cannot be used</h2>
        <table>
        <thead><tr><th>Line</th><th>Text</th><th>Reason</th></tr></thead>
        <tbody>
        {{#problems}}<tr><td class="problem-line">{{line}}</td><td><code>{{text}}</code></td><td class="problem-reason">{{reason}}</td></tr>{{/problems}}
        </tbody>
        </table>
        {{#moreProblems}}<p class="hint">…and {{moreProblems}} more.</p>{{/moreProblems}}
        </section>
        {{/hasProblems}}
        {{#canChange}}
        {{#product}}
        <form method="post" action="/console/products/{{idPath}}/devices" class="card">
        <h2>Add a device</h2>
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Device name <input name="name" required maxlength="48" value="{{form.name}}"></label>
        <button type="submit">Add device</button>
        </form>
        <form method="post" action="/console/products/{{idPath}}/devices/import" enctype="multipart/form-data" class="card" id="import">
        <h2>Add devices from a file</h2>
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <p class="hint">A CSV or text file with one device name per line (a first line <code>DeviceName</code> is a header),
        at most {{maxNames}} names and {{maxKiB}} KiB. Every line is checked first: if any cannot be used, nothing is created.</p>
        <label>File <input type="file" name="file" accept=".csv,.txt,text/csv,text/plain" required></label>
        <button type="submit">Add devices</button>
        </form>
        {{/product}}
        {{/canChange}}

        """

    static let deviceCreated = """
        <p class="notice">The device's credential is shown this once. Copy it now: the console does not show it again.</p>
        <dl class="facts">
        <dt>ProductId</dt><dd><code>{{productId}}</code></dd>
        <dt>Device name</dt><dd><code>{{deviceName}}</code></dd>
        {{#psk}}<dt>Device PSK</dt><dd><code id="device-psk">{{psk}}</code> <button type="button" class="copy" data-copy="device-psk">Copy</button></dd>{{/psk}}
        {{#certificate}}<dt>Device certificate</dt><dd><pre id="device-cert">{{certificate}}</pre><button type="button" class="copy" data-copy="device-cert">Copy</button></dd>{{/certificate}}
        {{#privateKey}}<dt>Device private key</dt><dd><pre id="device-key">{{privateKey}}</pre><button type="button" class="copy" data-copy="device-key">Copy</button></dd>{{/privateKey}}
        </dl>
        <p><a class="download" download="device_info.json" href="data:application/json;base64,{{deviceInfoBase64}}">Download device_info.json</a>
        (the file Tencent's device SDKs and <code>iothub-device</code> read)</p>
        <p><a href="/console/products/{{productIdPath}}/devices">Back to the devices</a></p>

        """

    /// The registration audit: every attempt, filtered by the query string (a GET form: nothing changes).
    static let registrations = """
        <form method="get" class="filter">
        <label>ProductId <input name="product" value="{{filter.product}}"></label>
        <label>Device <input name="device" value="{{filter.device}}"></label>
        <label>Result <select name="result"><option value="">any</option><option value="success" {{#filter.success}}selected{{/filter.success}}>success</option><option value="failure" {{#filter.failure}}selected{{/filter.failure}}>failure</option></select></label>
        <label>Reason <input name="reason" value="{{filter.reason}}"></label>
        <label>From (UTC) <input name="from" type="datetime-local" value="{{filter.from}}"></label>
        <label>To (UTC) <input name="to" type="datetime-local" value="{{filter.to}}"></label>
        <button type="submit">Filter</button>
        </form>
        <table>
        <thead><tr><th>Time (UTC)</th><th>ProductId</th><th>Device</th><th>Endpoint</th><th>Result</th><th>Reason</th><th>Source</th><th>Count</th></tr></thead>
        <tbody id="attempts" {{#live}}data-poll="/console/registrations/rows?{{query}}"{{/live}}>
        {{> registration-rows}}
        </tbody>
        </table>
        <p class="pager">{{total}} attempt(s). {{#live}}New attempts appear here without a reload. {{/live}}{{#previous}}<a href="?offset={{previous}}&amp;{{query}}">Newer</a>{{/previous}} {{#next}}<a href="?offset={{next}}&amp;{{query}}">Older</a>{{/next}}</p>

        """

    /// The rows of the registration audit: part of its page, and alone what the page refreshes itself with.
    static let registrationRows = """
        {{#attempts}}
        <tr class="{{result}}"><td>{{time}}</td><td><code>{{productId}}</code></td><td class="attempt-device">{{deviceName}}</td><td>{{endpoint}}</td><td>{{result}}</td><td class="attempt-reason">{{reason}}</td><td>{{source}}</td><td>{{count}}</td></tr>
        {{/attempts}}
        {{^attempts}}<tr><td colspan="8" class="empty">No registration attempts match.</td></tr>{{/attempts}}

        """

    /// What the newest page of the registration audit refreshes itself with: its table body (in a table, so
    /// that an HTML parser keeps the body's element).
    static let registrationRowsPoll = """
        <table><tbody id="attempts" data-poll="/console/registrations/rows?{{query}}">
        {{> registration-rows}}
        </tbody></table>

        """

    static let audit = """
        <table>
        <thead><tr><th>Time (UTC)</th><th>Operator</th><th>Action</th><th>Target</th><th>Result</th><th>Detail</th><th>Source</th></tr></thead>
        <tbody>
        {{#entries}}
        <tr><td>{{time}}</td><td class="audit-operator">{{operatorName}}</td><td class="audit-action">{{action}}</td><td>{{target}}</td><td>{{result}}</td><td>{{detail}}</td><td>{{source}}</td></tr>
        {{/entries}}
        {{^entries}}<tr><td colspan="7" class="empty">Nothing recorded yet.</td></tr>{{/entries}}
        </tbody>
        </table>
        <p class="pager">{{total}} change(s). {{#previous}}<a href="?offset={{previous}}">Newer</a>{{/previous}} {{#next}}<a href="?offset={{next}}">Older</a>{{/next}}</p>

        """

    /// The confirmation step of enable, disable and delete (no script: a page with one form).
    static let confirm = """
        <form method="post" action="/console/products/{{idPath}}/{{operation}}" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <p>{{question}}</p>
        <p class="hint">{{consequence}}</p>
        <button type="submit">{{verb}}</button> <a href="/console/products/{{idPath}}">Cancel</a>
        </form>

        """

    static let message = """
        <p>{{message}}</p>
        {{#back}}<p><a href="{{back}}">Back</a></p>{{/back}}

        """
}
