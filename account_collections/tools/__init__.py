from .access import GROUP_MANAGER, GROUP_USER, check_group
