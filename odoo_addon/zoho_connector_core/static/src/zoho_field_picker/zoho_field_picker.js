/** @odoo-module **/
/*
 * zoho_field_picker: a char field that suggests what it may hold, as the browser's own list under
 * the input (a <datalist>): Odoo's models (side "model"), the fields of the mapping's Odoo model
 * (side "odoo", from Odoo's registry, with their type), or the Zoho fields of the mapping's module
 * (side "zoho", as the sidecar lists them). It stays free text: anything may be typed, and when
 * there is nothing to suggest (a sidecar that cannot list Zoho's fields, an unsaved mapping) the
 * input's tooltip says why. The same code runs on Odoo 17, 18 and 19: it extends CharField.
 */
import { onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { CharField, charField } from "@web/views/fields/char/char_field";

// What each side offers, per scope, asked once a minute at most for the whole page.
const asked = new Map();
let lists = 0;

export class ZohoFieldPicker extends CharField {
    static template = "zoho_connector_core.ZohoFieldPicker";
    static props = { ...CharField.props, side: { type: String, optional: true } };

    setup() {
        super.setup();
        this.orm = useService("orm");
        this.listId = `o_zoho_field_choices_${++lists}`;
        this.picker = useState({ choices: [], note: "" });
        onWillStart(() => {
            this.loadChoices(this.props);
        });
        onWillUpdateProps((next) => {
            this.loadChoices(next);
        });
    }

    /** The model (side "odoo") or the mapping (side "zoho") whose fields are offered. */
    scope(props) {
        const mapping = props.record.model.root;
        if (props.side === "odoo") {
            return mapping.data.odoo_model || "";
        }
        if (props.side === "zoho") {
            return mapping.resId || "";
        }
        return "";
    }

    async loadChoices(props) {
        if (props.readonly) {
            return;
        }
        const scope = this.scope(props);
        const key = `${props.side}:${scope}`;
        if (key === this.loadedKey) {
            return;
        }
        this.loadedKey = key;
        if (!asked.has(key)) {
            const answer = this.orm
                .call("zoho.mapping", "field_choices", [props.side, scope])
                .catch(() => ({ choices: [], note: "" }));
            asked.set(key, answer);
            setTimeout(() => asked.delete(key), 60000);
        }
        const { choices, note } = await asked.get(key);
        if (this.loadedKey === key) {
            this.picker.choices = choices;
            this.picker.note = note;
        }
    }
}

export const zohoFieldPicker = {
    ...charField,
    component: ZohoFieldPicker,
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...charField.extractProps(fieldInfo, dynamicInfo),
        side: fieldInfo.options.side || "odoo",
    }),
};

registry.category("fields").add("zoho_field_picker", zohoFieldPicker);
