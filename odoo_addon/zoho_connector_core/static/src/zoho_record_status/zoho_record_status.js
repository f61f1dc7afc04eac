/** @odoo-module **/
/*
 * zoho_record_status: the Zoho line above the sheet of every synced model's form (the addon adds
 * it to their views at run time). It asks the sidecar once per record shown, after the form is
 * drawn, so a slow or stopped sidecar never holds the form: the line then says the status is
 * unavailable. Managers get "Sync now" and, per Zoho record, "Unlink". The same code runs on
 * Odoo 17, 18 and 19 (a view widget, as web's own notification_alert).
 */
import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

const APPS = { crm: "Zoho CRM", books: "Zoho Books", people: "Zoho People", desk: "Zoho Desk" };
const DIRECTIONS = { push: "Odoo → Zoho", pull: "Zoho → Odoo", manual: "linked by hand" };
const ALERTS = {
    synced: "alert-info",
    pending: "alert-warning",
    failed: "alert-danger",
    not_in_zoho: "alert-secondary",
};

export class ZohoRecordStatus extends Component {
    static template = "zoho_connector_core.ZohoRecordStatus";
    static props = standardWidgetProps;

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.dialog = useService("dialog");
        this.state = useState({ loading: true, available: true, message: "", status: null, canManage: false });
        // Not awaited: the form is drawn at once, the line fills in when the sidecar answers.
        onWillStart(() => {
            this.load(this.props.record.resId);
        });
        onWillUpdateProps((next) => {
            if (next.record.resId !== this.loadedId) {
                this.load(next.record.resId);
            }
        });
    }

    async load(resId) {
        this.loadedId = resId;
        if (!resId) {
            return;
        }
        this.state.loading = true;
        let answer;
        try {
            answer = await this.orm.silent.call("zoho.record.status", "get_status", [
                this.props.record.resModel,
                [resId],
            ]);
        } catch {
            answer = { available: false, message: "" };
        }
        if (resId !== this.loadedId) {
            return; // another record is shown meanwhile
        }
        Object.assign(this.state, {
            loading: false,
            available: answer.available,
            message: answer.message || "",
            canManage: Boolean(answer.can_manage),
            status: answer.available ? answer.records[String(resId)] : null,
        });
    }

    get alertClass() {
        if (this.state.loading || !this.state.available || !this.state.status) {
            return "alert-light border";
        }
        return ALERTS[this.state.status.state] || "alert-light border";
    }

    get failure() {
        const status = this.state.status;
        if (!status) {
            return "";
        }
        if (status.rejection) {
            return status.rejection.message;
        }
        if (status.job && status.job.state === "failed") {
            return status.job.error || _t("the sync job failed");
        }
        return "";
    }

    appLabel(binding) {
        return APPS[binding.zoho_app] || binding.zoho_app;
    }

    direction(status) {
        return DIRECTIONS[status.last_direction] || status.last_direction || "";
    }

    formatDate(value) {
        return formatDateTime(deserializeDateTime(value));
    }

    async syncNow() {
        const { resModel, resId } = this.props.record;
        try {
            const jobs = await this.orm.call("zoho.record.status", "action_sync_now", [resModel, resId]);
            this.notification.add(_t("Sync queued (%s job(s)).", jobs), { type: "success" });
        } finally {
            await this.load(resId);
        }
    }

    unlink(binding) {
        this.dialog.add(ConfirmationDialog, {
            title: _t("Unlink from Zoho"),
            body: _t(
                "Forget the link to %s %s %s? Neither record is deleted; the next sync may link them again.",
                this.appLabel(binding),
                binding.zoho_object,
                binding.zoho_id
            ),
            confirm: async () => {
                await this.orm.call("zoho.record.status", "action_unlink", [binding.id]);
                await this.load(this.props.record.resId);
            },
            cancel: () => {},
        });
    }
}

registry.category("view_widgets").add("zoho_record_status", { component: ZohoRecordStatus });
