from . import zoho_dashboard
