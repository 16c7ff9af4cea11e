from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _load(self, template_code, company, install_demo, force_create=True):
        """Create the dunning demo history once the main company has a chart
        of accounts. A new database installs the chart of its company's
        country at the very end, after this addon's demo data was loaded; the
        generator does nothing without demo customers or when it ran before.
        """
        result = super()._load(template_code, company, install_demo, force_create)
        # A fresh environment: loading a chart may install its module and
        # reset the registry.
        env = self.env()
        company = env["res.company"].browse(company.id)
        if company == env.ref("base.main_company", raise_if_not_found=False):
            env["account.dunning.demo"]._create_demo_history(company)
        return result
