// Copyright (c) 2026, ScoopJoy Engineering and contributors
// For license information, please see license.txt
//
// A site with one Shopify store works as it did with the single Shopify Settings: the list opens
// that store's form. Coming back from that form (the breadcrumb), the list stays, so a second
// store can be added.

frappe.listview_settings["Shopify Store"] = {
	onload(listview) {
		const history = frappe.route_history || [];
		const previous = history.length > 1 ? history[history.length - 2] : [];
		if (previous[0] === "Form" && previous[1] === "Shopify Store") return;
		frappe.db.get_list("Shopify Store", { fields: ["name"], limit: 2 }).then((stores) => {
			const route = frappe.get_route();
			if (stores.length === 1 && route[0] === "List" && route[1] === "Shopify Store") {
				frappe.set_route("Form", "Shopify Store", stores[0].name);
			}
		});
	},
};
