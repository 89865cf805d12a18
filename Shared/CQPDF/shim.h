// qpdf's C object API (Debian libqpdf-dev): read a PDF from memory, add a stamp to its first page, write it back.
#include <qpdf/qpdf-c.h>
