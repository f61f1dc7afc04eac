from . import test_forwarding
from . import test_sidecar_views
from . import test_rejections
from . import test_mappings
from . import test_forwarding_mappings
from . import test_screens
