"""(being written) custom Function"""

class Function:
    pass
