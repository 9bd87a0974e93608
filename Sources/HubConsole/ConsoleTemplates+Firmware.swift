/// The firmware and update-task templates (same rules as `ConsoleTemplates`: every value with `{{x}}`).
extension ConsoleTemplates {
    /// The navigation's Firmware page: every product's versions.
    static let firmwareOverview = """
        <table class="firmware-versions">
        <thead><tr><th>Product</th><th>Version</th><th>Name</th><th>MD5</th><th>Uploaded (UTC)</th></tr></thead>
        <tbody>
        {{#firmwares}}
        <tr><td><a href="{{firmwarePath}}">{{productName}}</a></td><td class="firmware-version">{{version}}</td><td>{{name}}</td><td><code>{{md5}}</code></td><td>{{uploaded}}</td></tr>
        {{/firmwares}}
        {{^firmwares}}<tr><td colspan="5" class="empty">No firmware uploaded yet.</td></tr>{{/firmwares}}
        </tbody>
        </table>
        <p class="pager">{{total}} version(s). {{#previous}}<a href="?offset={{previous}}">Previous</a>{{/previous}} {{#next}}<a href="?offset={{next}}">Next</a>{{/next}}</p>
        <h2>Firmware of a product</h2>
        <ul class="links">
        {{#products}}<li><a class="product-firmware" href="{{firmwarePath}}">{{name}}</a> <code>{{id}}</code></li>{{/products}}
        </ul>
        {{^products}}<p class="hint">No products yet.</p>{{/products}}

        """

    /// A product's Firmware page: versions, the upload form, the task form, the tasks.
    static let firmware = """
        {{#product}}<p><a href="/console/products/{{idPath}}">Back to {{name}}</a></p>{{/product}}
        <h2>Versions</h2>
        <table class="firmware-versions">
        <thead><tr><th>Version</th><th>Name</th><th>Size</th><th>MD5</th><th>Uploaded (UTC)</th><th>Description</th></tr></thead>
        <tbody>
        {{#firmwares}}
        <tr><td class="firmware-version">{{version}}</td><td class="firmware-name">{{name}}</td><td class="firmware-size" title="{{bytes}} bytes">{{size}}</td><td><code class="firmware-md5">{{md5}}</code></td><td>{{uploaded}}</td><td class="firmware-description">{{description}}</td></tr>
        {{/firmwares}}
        {{^firmwares}}<tr><td colspan="6" class="empty">No firmware uploaded yet.</td></tr>{{/firmwares}}
        </tbody>
        </table>
        <p class="pager">{{total}} version(s). {{#previous}}<a href="?offset={{previous}}">Previous</a>{{/previous}} {{#next}}<a href="?offset={{next}}">Next</a>{{/next}}</p>
        {{#canChange}}
        <form method="post" action="{{firmwarePath}}" enctype="multipart/form-data" class="card" id="upload-firmware">
        <h2>Upload a version</h2>
        <input type="hidden" name="_csrf" value="{{csrf}}">
        <label>Version <input name="version" required maxlength="32" value="{{upload.version}}" placeholder="1.0.1"></label>
        <p class="hint">What devices report with <code>report_version</code>: 1 to 32 printable characters without spaces.</p>
        <label>Name <input name="name" maxlength="64" value="{{upload.name}}"></label>
        <label>Description <textarea name="description" maxlength="200">{{upload.description}}</textarea></label>
        <label>File <input type="file" name="file" required></label>
        <p class="hint">{{#maxSize}}Up to {{maxSize}}. {{/maxSize}}The hub computes the file's MD5; devices check it after downloading.</p>
        <button type="submit">Upload</button>
        </form>
        {{/canChange}}
        <h2>Update tasks</h2>
        <table class="firmware-tasks">
        <thead><tr><th>Task</th><th>Target version</th><th>Devices</th><th>Status</th><th>Waiting</th><th>In progress</th><th>Succeeded</th><th>Failed</th><th>Created (UTC)</th></tr></thead>
        <tbody>
        {{#tasks}}
        <tr><td><a class="task-link" href="{{path}}">#{{id}}</a></td><td>{{version}}</td><td>{{devices}}</td><td class="task-status">{{status}}</td><td>{{counts.waiting}}</td><td>{{counts.running}}</td><td class="count-success">{{counts.success}}</td><td class="count-failure">{{counts.failure}}</td><td>{{created}}</td></tr>
        {{/tasks}}
        {{^tasks}}<tr><td colspan="9" class="empty">No update tasks yet.</td></tr>{{/tasks}}
        </tbody>
        </table>
        {{#moreTasks}}<p class="hint">The 50 newest tasks are shown.</p>{{/moreTasks}}
        {{#canChange}}
        <form method="post" action="{{firmwarePath}}/tasks" class="card" id="create-task">
        <h2>Create an update task</h2>
        <input type="hidden" name="_csrf" value="{{csrf}}">
        {{#hasVersions}}
        <label>Target version <select name="version">{{#versions}}<option value="{{version}}" {{#selected}}selected{{/selected}}>{{version}}</option>{{/versions}}</select></label>
        <fieldset><legend>Devices</legend>
        <label class="choice"><input type="radio" name="mode" value="names" {{^task.fromVersion}}checked{{/task.fromVersion}}> These devices, one name per line:</label>
        <textarea name="devices" rows="4">{{task.devices}}</textarea>
        <label class="choice"><input type="radio" name="mode" value="version" {{#task.fromVersion}}checked{{/task.fromVersion}}> Every device of the product now at version:</label>
        <input name="original" value="{{task.original}}" placeholder="1.0.0">
        </fieldset>
        <label>Timeout in seconds (default 600) <input name="timeout" inputmode="numeric" value="{{task.timeout}}"></label>
        <p class="hint">A device that got the update and reports nothing for this long fails as timed out. A device offline now
        gets the update when it next reports its version.</p>
        <button type="submit">Create task</button>
        {{/hasVersions}}
        {{^hasVersions}}<p class="hint">Upload a version first.</p>{{/hasVersions}}
        </form>
        {{/canChange}}

        """

    /// A task's page: its facts, then the progress section (also served alone for the page's script).
    static let firmwareTask = """
        <p><a href="{{firmwarePath}}">Back to the firmware of {{productName}}</a></p>
        <dl class="facts">
        <dt>Target version</dt><dd><code>{{version}}</code></dd>
        <dt>Devices</dt><dd>{{devicesChosen}}</dd>
        <dt>Created (UTC)</dt><dd>{{created}}</dd>
        </dl>
        {{> firmware-task-progress}}
        <p class="hint"><a class="refresh" href="{{refreshPath}}">Refresh</a> (with JavaScript the table refreshes by itself every 2 seconds while the task runs)</p>

        """

    static let firmwareTaskProgress = """
        <section id="task-progress" data-poll="{{progressPath}}" data-finished="{{#finished}}true{{/finished}}{{^finished}}false{{/finished}}">
        <p class="task-summary">Status: <strong class="task-status">{{status}}</strong> · {{counts.total}} device(s):
        <span class="count-waiting">{{counts.waiting}}</span> waiting, <span class="count-running">{{counts.running}}</span> in progress,
        <span class="count-success">{{counts.success}}</span> succeeded, <span class="count-failure">{{counts.failure}}</span> failed</p>
        <table>
        <thead><tr><th>Device</th><th>From version</th><th>State</th><th>Last change (UTC)</th></tr></thead>
        <tbody>
        {{#devices}}
        <tr class="device-{{group}}"><td class="device-name">{{name}}</td><td>{{from}}</td><td class="device-state">{{state}}{{#percent}} <progress max="100" value="{{.}}"></progress>{{/percent}}</td><td>{{updated}}</td></tr>
        {{/devices}}
        {{^devices}}<tr><td colspan="4" class="empty">No devices in this task.</td></tr>{{/devices}}
        </tbody>
        </table>
        <p class="pager">{{total}} device(s). {{#previous}}<a href="{{previous}}">Previous</a>{{/previous}} {{#next}}<a href="{{next}}">Next</a>{{/next}}</p>
        </section>

        """
}
