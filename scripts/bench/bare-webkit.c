// The memory floor of any WebKitGTK app on this machine, measured beside Inlet's window by
// scripts/bench-desktop.sh: a GTK window with a WebKitGTK view showing one small page, nothing else.
// Prints "bare: window ready" once the page has loaded (as Inlet does with INLET_REPORT_READY).
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>
#include <stdio.h>
static void loaded(WebKitWebView *v, WebKitLoadEvent e, gpointer d) {
  if (e == WEBKIT_LOAD_FINISHED) { fprintf(stderr, "bare: window ready\n"); }
}
int main(int argc, char **argv) {
  gtk_init(&argc, &argv);
  GtkWidget *w = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size(GTK_WINDOW(w), 1100, 720);
  GtkWidget *v = webkit_web_view_new();
  g_signal_connect(v, "load-changed", G_CALLBACK(loaded), NULL);
  gtk_container_add(GTK_CONTAINER(w), v);
  webkit_web_view_load_html(WEBKIT_WEB_VIEW(v), "<!doctype html><title>bare</title><h1>Hello</h1><p>A page.</p>", NULL);
  g_signal_connect(w, "destroy", G_CALLBACK(gtk_main_quit), NULL);
  gtk_widget_show_all(w);
  gtk_main();
  return 0;
}
