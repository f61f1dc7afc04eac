from . import test_forwarding
from . import test_sidecar_views
from . import test_rejections
from . import test_mappings
from . import test_forwarding_mappings
from . import test_screens
from . import test_record_status
from . import test_screens_record_status
