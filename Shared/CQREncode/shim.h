// libqrencode imports cleanly.
#include <qrencode.h>
