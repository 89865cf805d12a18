// qpdf's C job API (Debian libqpdf-dev): one call runs a job described in JSON.
#include <qpdf/qpdfjob-c.h>
