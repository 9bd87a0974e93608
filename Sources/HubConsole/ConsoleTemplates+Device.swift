/// The templates of one device's page, its confirmation step and the import from a file (the same rules as
/// `ConsoleTemplates`: every value is written with `{{x}}`).
extension ConsoleTemplates {
    static let device = """
        <p><a href="/console/products/{{product.idPath}}/devices">Back to the devices of {{product.name}}</a></p>
        {{#device}}
        <dl class="facts" id="device-facts">
        <dt>ProductId</dt><dd><code>{{product.id}}</code></dd>
        <dt>Device name</dt><dd><code class="device-name">{{name}}</code></dd>
        <dt>State</dt><dd class="device-state">{{state}}</dd>
        <dt>Status</dt><dd class="device-status">{{status}}</dd>
        <dt>Activated (first login)</dt><dd class="device-activated">{{activated}}</dd>
        <dt>Last login</dt><dd class="device-last-login">{{lastLogin}}</dd>
        <dt>Last offline</dt><dd>{{lastOffline}}</dd>
        <dt>Client address</dt><dd class="device-address">{{address}}</dd>
        <dt>Firmware version</dt><dd class="device-version">{{version}}</dd>
        <dt>Credential fetched</dt><dd class="device-fetched">{{fetched}}</dd>
        <dt>Created</dt><dd>{{created}}</dd>
        </dl>
        {{#canChange}}
        <div class="actions">
        <form method="post" action="{{path}}/{{toggle}}" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" id="device-toggle">{{toggleLabel}} device</button></form>
        · <a href="{{path}}/confirm?do=reset">Reset registration</a>
        · <a href="{{path}}/confirm?do=delete">Delete device</a>
        </div>
        {{/canChange}}
        <section class="card" id="shadow">
        <h2>Shadow</h2>
        <p class="hint">Version <strong class="shadow-version">{{shadowVersion}}</strong>. The device reports its state; the
        desired state is sent to it as a delta.</p>
        <h3>Reported</h3>
        <pre id="shadow-reported">{{reported}}</pre>
        <h3>Desired</h3>
        {{#canChange}}
        <form method="post" action="{{path}}/shadow">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <input type="hidden" name="version" value="{{shadowVersion}}">
        <textarea name="desired" id="shadow-desired" rows="8" spellcheck="false">{{desiredText}}</textarea>
        <p class="hint">A JSON object, merged into the desired state: a member set to <code>null</code> is removed.</p>
        <button type="submit">Save desired</button>
        </form>
        {{/canChange}}
        {{^canChange}}<pre id="shadow-desired">{{desired}}</pre>{{/canChange}}
        </section>
        <section class="card" id="message">
        <h2>Message to the device</h2>
        <p>Topic <code>{{controlTopic}}</code> (the device must be online and subscribed to it).</p>
        {{#canChange}}
        <form method="post" action="{{path}}/message">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Payload <textarea name="payload" rows="3" spellcheck="false">{{messagePayload}}</textarea></label>
        <label>QoS <select name="qos"><option value="0">0</option><option value="1" {{#qos1}}selected{{/qos1}}>1</option></select></label>
        <button type="submit">Send</button>
        </form>
        {{/canChange}}
        </section>
        <section class="card" id="registrations">
        <h2>Recent registration attempts</h2>
        <table>
        <thead><tr><th>Time (UTC)</th><th>Endpoint</th><th>Result</th><th>Reason</th><th>Source</th><th>Count</th></tr></thead>
        <tbody>
        {{#attempts}}
        <tr class="{{result}}"><td>{{time}}</td><td>{{endpoint}}</td><td>{{result}}</td><td class="attempt-reason">{{reason}}</td><td>{{source}}</td><td>{{count}}</td></tr>
        {{/attempts}}
        {{^attempts}}<tr><td colspan="6" class="empty">No registration attempts.</td></tr>{{/attempts}}
        </tbody>
        </table>
        <p class="pager">{{attemptsTotal}} attempt(s). <a href="/console/registrations?product={{product.idPath}}&amp;device={{namePath}}">All attempts of this device</a></p>
        </section>
        {{/device}}

        """

    /// Reset registration and delete of a device, each after this page (no script: one form).
    static let deviceConfirm = """
        <form method="post" action="{{path}}/{{operation}}" class="card">
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <p>{{question}}</p>
        <p class="hint">{{consequence}}</p>
        <button type="submit">{{verb}}</button> <a href="{{path}}">Cancel</a>
        </form>

        """

    /// After a file of names was imported: how many devices were created, and their credentials to download.
    static let devicesImported = """
        <p class="notice" id="imported">{{count}} device(s) created from {{fileName}}.</p>
        <p>Their credentials are in <a class="download" href="/console/downloads/{{token}}" download="{{downloadName}}">{{downloadName}}</a>
        ({{format}}). Download it now: it stays on the hub for {{minutes}} minutes, for this session only, and the console
        does not show the credentials again.</p>
        <p><a href="/console/products/{{productIdPath}}/devices">Back to the devices</a></p>

        """
}
